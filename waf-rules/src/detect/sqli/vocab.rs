//! The words SQL gives meaning to: keywords, well-known functions and system objects.
//!
//! Words are classified from their ASCII-lower-cased spelling. The lists cover the
//! dialects attackers aim at (MySQL, PostgreSQL, MSSQL, Oracle, SQLite); a word that is
//! not listed is an ordinary name (a column, a table, or prose).

use super::super::bytes::{ByteSet, Pairs, contains_ignore_case, pairs_of, sets_of};

/// A keyword that shapes a statement or an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kw {
    Select,
    Union,
    /// `EXCEPT`, `INTERSECT`, `MINUS`: set operators that behave like `UNION`.
    Except,
    All,
    Distinct,
    From,
    Where,
    Order,
    Group,
    By,
    Having,
    Limit,
    Offset,
    Into,
    /// `OUTFILE` or `DUMPFILE` (MySQL file writes).
    Outfile,
    Insert,
    Update,
    Delete,
    Drop,
    Create,
    Alter,
    Truncate,
    /// `EXEC` or `EXECUTE`.
    Exec,
    Declare,
    Waitfor,
    Shutdown,
    Set,
    As,
    Case,
    When,
    Then,
    Else,
    End,
    If,
    Begin,
    Call,
    /// `GRANT`, `REVOKE`.
    Grant,
    Procedure,
    /// `NULL`, `TRUE`, `FALSE`, `DEFAULT`, `UNKNOWN`: literal values.
    Literal,
    In,
    Is,
    Between,
    Exists,
    /// `COLLATE`, `ESCAPE`: binary connectors inside an expression.
    Collate,
    /// `JOIN` and its qualifiers (`INNER`, `OUTER`, `CROSS`, `NATURAL`, `STRAIGHT_JOIN`).
    Join,
    On,
    Using,
    Top,
    /// `ASC`, `DESC`.
    Direction,
    /// `ANY`, `SOME`: quantifiers before a subquery.
    Any,
    /// `BINARY`, `INTERVAL`: prefixes that keep an operand coming.
    Prefix,
}

/// What a bare word means to SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WordClass {
    Kw(Kw),
    /// `AND`, `OR`, `XOR`.
    Logic,
    Not,
    /// `LIKE`, `RLIKE`, `REGEXP`, `ILIKE`, `GLOB`: comparisons spelled as words.
    Cmp,
    /// `DIV`, `MOD`: arithmetic spelled as words.
    Arith,
    /// Any other word: a name.
    Plain,
}

/// Classifies an ASCII-lower-cased word.
pub(super) fn classify(lower: &[u8]) -> WordClass {
    use Kw::*;
    let kw = match lower {
        b"select" => Select,
        b"union" => Union,
        b"except" | b"intersect" | b"minus" => Except,
        b"all" => All,
        b"distinct" | b"distinctrow" => Distinct,
        b"from" => From,
        b"where" => Where,
        b"order" => Order,
        b"group" => Group,
        b"by" => By,
        b"having" => Having,
        b"limit" => Limit,
        b"offset" => Offset,
        b"into" => Into,
        b"outfile" | b"dumpfile" => Outfile,
        b"insert" => Insert,
        b"update" => Update,
        b"delete" => Delete,
        b"drop" => Drop,
        b"create" => Create,
        b"alter" => Alter,
        b"truncate" => Truncate,
        b"exec" | b"execute" => Exec,
        b"declare" => Declare,
        b"waitfor" => Waitfor,
        b"shutdown" => Shutdown,
        b"set" => Set,
        b"as" => As,
        b"case" => Case,
        b"when" => When,
        b"then" => Then,
        b"else" => Else,
        b"end" => End,
        b"if" => If,
        b"begin" => Begin,
        b"call" => Call,
        b"grant" | b"revoke" => Grant,
        b"procedure" => Procedure,
        b"null" | b"true" | b"false" | b"default" | b"unknown" => Literal,
        b"in" => In,
        b"is" => Is,
        b"between" => Between,
        b"exists" => Exists,
        b"collate" | b"escape" => Collate,
        b"join" | b"inner" | b"outer" | b"cross" | b"natural" | b"straight_join" => Join,
        b"on" => On,
        b"using" => Using,
        b"top" => Top,
        b"asc" | b"desc" => Direction,
        b"any" | b"some" => Any,
        b"binary" | b"interval" => Prefix,
        b"and" | b"or" | b"xor" => return WordClass::Logic,
        b"not" => return WordClass::Not,
        b"like" | b"rlike" | b"regexp" | b"ilike" | b"glob" => return WordClass::Cmp,
        b"div" | b"mod" => return WordClass::Arith,
        _ => return WordClass::Plain,
    };
    WordClass::Kw(kw)
}

/// Whether a keyword written directly before `(` is really a function call
/// (`IF(a,b,c)`, `INSERT(str,…)`, `TRUNCATE(x,d)`), not the statement of that name.
pub(super) fn keyword_can_be_function(kw: Kw) -> bool {
    matches!(kw, Kw::If | Kw::Insert | Kw::Truncate | Kw::Literal)
}

/// Keywords that begin a statement (after `;`, or in a T-SQL batch without one).
pub(super) fn starts_statement(kw: Kw) -> bool {
    matches!(
        kw,
        Kw::Select
            | Kw::Insert
            | Kw::Update
            | Kw::Delete
            | Kw::Drop
            | Kw::Create
            | Kw::Alter
            | Kw::Truncate
            | Kw::Exec
            | Kw::Declare
            | Kw::Waitfor
            | Kw::Shutdown
            | Kw::Set
            | Kw::If
            | Kw::Begin
            | Kw::Call
            | Kw::Grant
    )
}

/// What calling a function says about the caller's intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FnClass {
    /// Delays or heavy work used for time-based blind injection (`SLEEP`, `BENCHMARK`).
    Time,
    /// Functions abused to leak data through error messages (`EXTRACTVALUE`, `UPDATEXML`).
    Error,
    /// File, network, OS and package access (`LOAD_FILE`, `xp_cmdshell`, `UTL_HTTP`).
    System,
    /// Who and where am I (`VERSION()`, `DATABASE()`, `USER()`).
    Info,
    /// Ordinary built-ins injections lean on (`CHAR`, `CONCAT`, `SUBSTRING`, `COUNT`).
    Known,
    /// Any other name followed by `(`.
    Unknown,
}

impl FnClass {
    /// A bit for this class in a set of classes.
    pub(super) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Classifies a (possibly schema-qualified) function name, ASCII-lower-cased.
pub(super) fn function_class(lower: &[u8]) -> FnClass {
    if is_system_package(lower) {
        return FnClass::System;
    }
    let last = lower.rsplit(|&b| b == b'.').next().unwrap_or(lower);
    match last {
        b"sleep" | b"benchmark" | b"pg_sleep" | b"pg_sleep_for" | b"pg_sleep_until"
        | b"randomblob" | b"receive_message" => FnClass::Time,
        b"extractvalue"
        | b"updatexml"
        | b"gtid_subset"
        | b"gtid_subtract"
        | b"name_const"
        | b"geometrycollection"
        | b"multipoint"
        | b"multipolygon"
        | b"multilinestring"
        | b"linestring"
        | b"polygon"
        | b"xmltype"
        | b"st_latfromgeohash"
        | b"st_longfromgeohash"
        | b"st_pointfromgeohash" => FnClass::Error,
        b"load_file"
        | b"openrowset"
        | b"opendatasource"
        | b"openquery"
        | b"lo_import"
        | b"lo_export"
        | b"pg_read_file"
        | b"pg_read_binary_file"
        | b"pg_ls_dir"
        | b"sys_eval"
        | b"sys_exec"
        | b"httpuritype" => FnClass::System,
        b"version" | b"database" | b"schema" | b"user" | b"current_user" | b"session_user"
        | b"system_user" | b"current_database" | b"current_schema" | b"current_setting"
        | b"db_name" | b"user_name" | b"suser_name" | b"suser_sname" | b"host_name"
        | b"connection_id" | b"last_insert_id" | b"row_count" | b"found_rows"
        | b"sqlite_version" | b"is_srvrolemember" | b"has_dbaccess" => FnClass::Info,
        _ if is_known_builtin(last) => FnClass::Known,
        _ => FnClass::Unknown,
    }
}

/// Ordinary built-in functions: string building, casts, conditionals, aggregates, math.
fn is_known_builtin(name: &[u8]) -> bool {
    matches!(
        name,
        b"char"
            | b"chr"
            | b"nchar"
            | b"concat"
            | b"concat_ws"
            | b"group_concat"
            | b"string_agg"
            | b"listagg"
            | b"substring"
            | b"substr"
            | b"mid"
            | b"ascii"
            | b"ord"
            | b"hex"
            | b"unhex"
            | b"length"
            | b"len"
            | b"char_length"
            | b"lower"
            | b"upper"
            | b"lcase"
            | b"ucase"
            | b"left"
            | b"right"
            | b"reverse"
            | b"replace"
            | b"repeat"
            | b"space"
            | b"trim"
            | b"ltrim"
            | b"rtrim"
            | b"instr"
            | b"locate"
            | b"position"
            | b"elt"
            | b"make_set"
            | b"field"
            | b"md5"
            | b"sha1"
            | b"sha2"
            | b"crypt_key"
            | b"compress"
            | b"conv"
            | b"bin"
            | b"oct"
            | b"lpad"
            | b"rpad"
            | b"regexp_substring"
            | b"regexp_substr"
            | b"regexp_like"
            | b"regexp_replace"
            | b"quote"
            | b"cast"
            | b"convert"
            | b"coalesce"
            | b"ifnull"
            | b"isnull"
            | b"nullif"
            | b"iif"
            | b"if"
            | b"decode"
            | b"nvl"
            | b"nvl2"
            | b"greatest"
            | b"least"
            | b"count"
            | b"sum"
            | b"avg"
            | b"min"
            | b"max"
            | b"floor"
            | b"ceil"
            | b"ceiling"
            | b"rand"
            | b"random"
            | b"abs"
            | b"round"
            | b"exp"
            | b"pow"
            | b"power"
            | b"sqrt"
            | b"now"
            | b"sysdate"
            | b"getdate"
            | b"to_char"
            | b"to_number"
            | b"unicode"
            | b"soundex"
            | b"bitand"
            | b"json_extract"
            | b"json_keys"
            | b"generate_series"
            | b"row"
            | b"insert"
            | b"truncate"
            | b"default"
            | b"strcmp"
            | b"find_in_set"
            | b"uuid"
            | b"crc32"
    )
}

/// Prefixes of the Oracle packages [`is_system_package`] knows.
const SYSTEM_PREFIXES: &[&[u8]] = &[b"dbms_", b"utl_", b"ctxsys.", b"sys.dbms_", b"sys.utl_"];

/// Oracle and MSSQL packages and procedures that reach outside the database.
fn is_system_package(lower: &[u8]) -> bool {
    SYSTEM_PREFIXES.iter().any(|p| lower.starts_with(p))
        || lower.split(|&b| b == b'.').any(is_system_procedure)
}

/// MSSQL extended and system procedures that run commands, reach files or the
/// network, or change logins and configuration.
pub(super) fn is_system_procedure(name: &[u8]) -> bool {
    SYSTEM_PROCEDURES.contains(&name)
}

/// The procedures [`is_system_procedure`] knows.
const SYSTEM_PROCEDURES: &[&[u8]] = &[
    b"xp_cmdshell",
    b"xp_dirtree",
    b"xp_subdirs",
    b"xp_fileexist",
    b"xp_regread",
    b"xp_regwrite",
    b"xp_instance_regread",
    b"xp_servicecontrol",
    b"xp_availablemedia",
    b"xp_loginconfig",
    b"xp_enumgroups",
    b"xp_terminate_process",
    b"xp_makecab",
    b"xp_msver",
    b"xp_readerrorlog",
    b"xp_ntsec_enumdomains",
    b"sp_oacreate",
    b"sp_oamethod",
    b"sp_executesql",
    b"sp_execute",
    b"sp_makewebtask",
    b"sp_addlogin",
    b"sp_addsrvrolemember",
    b"sp_password",
    b"sp_configure",
    b"sp_addextendedproc",
    b"sp_dropextendedproc",
    b"sp_adduser",
    b"sp_helpdb",
    b"sp_who",
    b"sp_linkedservers",
];

/// The start of a T-SQL type name (`DECLARE @v varchar(8000)`).
pub(super) fn is_type_name(lower: &[u8]) -> bool {
    const TYPES: &[&[u8]] = &[
        b"int",
        b"bigint",
        b"smallint",
        b"tinyint",
        b"bit",
        b"char",
        b"varchar",
        b"nchar",
        b"nvarchar",
        b"text",
        b"ntext",
        b"binary",
        b"varbinary",
        b"datetime",
        b"date",
        b"float",
        b"real",
        b"decimal",
        b"numeric",
        b"money",
        b"sysname",
        b"table",
        b"cursor",
        b"xml",
        b"uniqueidentifier",
        b"sql_variant",
    ];
    TYPES.contains(&lower)
}

/// How surely a name is a system catalogue (what attackers enumerate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Catalogue {
    /// A name no application or prose uses for anything else (`information_schema`).
    Unmistakable,
    /// A catalogue name an application could also use (`all_users`, `dual`): counts
    /// only where SQL already reads it as a table.
    Plausible,
}

/// Catalogues no application or prose names otherwise ([`Catalogue::Unmistakable`]).
const UNMISTAKABLE: &[&[u8]] = &[
    b"information_schema",
    b"performance_schema",
    b"mysql.user",
    b"sysobjects",
    b"syscolumns",
    b"sysibm.",
    b"syscat.",
    b"sys.objects",
    b"sys.tables",
    b"sys.all_",
    b"sys.dba_",
    b"sys.user$",
    b"pg_catalog",
    b"pg_shadow",
    b"sqlite_master",
    b"sqlite_schema",
    b"msysobjects",
    b"master..",
];

/// Catalogues an application could also name ([`Catalogue::Plausible`]).
const PLAUSIBLE: &[&[u8]] = &[
    b"mysql.db",
    b"sysusers",
    b"sysdatabases",
    b"syslogins",
    b"pg_user",
    b"pg_database",
    b"pg_group",
    b"pg_tables",
    b"all_tables",
    b"all_users",
    b"all_tab_columns",
    b"dba_users",
    b"user_tables",
];

/// Whether a (qualified, lower-cased) name is a system catalogue, and how surely.
pub(super) fn system_object(lower: &[u8]) -> Option<Catalogue> {
    // Fast path: every needle is keyed (checked when compiling), so a name that is not
    // holds none of them.
    const _: () = assert!(all_keyed(UNMISTAKABLE) && all_keyed(PLAUSIBLE));
    if lower != b"dual" && !keyed(lower) {
        return None;
    }
    // A needle occurs only if all its bytes do: test those first (one pass over the name).
    let set = ByteSet::of(lower);
    let found = |(p, needs): (&&[u8], &ByteSet)| set.all_of(*needs) && contains(lower, p);
    if UNMISTAKABLE.iter().zip(&UNMISTAKABLE_SETS).any(found) {
        Some(Catalogue::Unmistakable)
    } else if lower == b"dual" || PLAUSIBLE.iter().zip(&PLAUSIBLE_SETS).any(found) {
        Some(Catalogue::Plausible)
    } else {
        None
    }
}

/// Whether a lower-cased name has a `_`, a `.` or the pair `sy`: every system
/// catalogue and session name is keyed ([`system_object`] and [`is_session_name`]
/// check it when compiling), and a system package name has a `.` ([`is_system_name`]).
const fn keyed(lower: &[u8]) -> bool {
    let mut i = 0;
    while i < lower.len() {
        let b = lower[i];
        if b == b'_' || b == b'.' || (b == b's' && i + 1 < lower.len() && lower[i + 1] == b'y') {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether every one of `names` is [`keyed`].
const fn all_keyed(names: &[&[u8]]) -> bool {
    let mut i = 0;
    while i < names.len() {
        if !keyed(names[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether a name, as written (any case), may be a system catalogue (`dual` included),
/// a system package name or a session name: `false` only when [`system_object`],
/// [`is_system_name`] and [`is_session_name`] are all negative for its lower-cased
/// spelling, because that is not [`keyed`] and not `dual`.
pub(super) fn may_name_system(text: &[u8]) -> bool {
    let lower = |i: usize| text.get(i).map(u8::to_ascii_lowercase);
    (0..text.len()).any(|i| match lower(i) {
        Some(b'_' | b'.') => true,
        Some(b's') => lower(i + 1) == Some(b'y'),
        _ => false,
    }) || text.eq_ignore_ascii_case(b"dual")
}

/// Whether some token of `value` (whose lower-cased bytes are `lower_set`) may be a
/// name [`may_name_system`] accepts and one of [`system_object`], [`is_system_name`]
/// and [`is_session_name`] recognises: `false` only when none of the prefixes,
/// procedures, catalogues and session names those look for occurs in `value` in any
/// case (a token's text is part of the value, so what its lower-cased text contains,
/// the lower-cased value does).
pub(super) fn may_hold_names(value: &[u8], lower_set: ByteSet) -> bool {
    Needles::new(value, lower_set).any_of(&[
        (SYSTEM_PREFIXES, &PREFIX_SETS, &PREFIX_PAIRS),
        (SYSTEM_PROCEDURES, &PROCEDURE_SETS, &PROCEDURE_PAIRS),
        (UNMISTAKABLE, &UNMISTAKABLE_SETS, &UNMISTAKABLE_PAIRS),
        (PLAUSIBLE, &PLAUSIBLE_SETS, &PLAUSIBLE_PAIRS),
        (&SESSION_NAMES, &SESSION_SETS, &SESSION_PAIRS),
        (&[b"dual"], &[ByteSet::new(b"dual")], &[Pairs::new(b"dual")]),
    ])
}

/// Whether some token of `value` (whose lower-cased bytes are `lower_set`) may be a
/// system package name ([`is_system_name`]) or an unmistakable catalogue
/// ([`system_object`]): `false` only when no prefix or procedure those look for, and
/// no unmistakable catalogue name, occurs in `value` in any case. A token's text is
/// part of the value, so what its lower-cased text contains, the lower-cased value does.
pub(super) fn may_hold_system_name(value: &[u8], lower_set: ByteSet) -> bool {
    Needles::new(value, lower_set).any_of(&[
        (SYSTEM_PREFIXES, &PREFIX_SETS, &PREFIX_PAIRS),
        (SYSTEM_PROCEDURES, &PROCEDURE_SETS, &PROCEDURE_PAIRS),
        (UNMISTAKABLE, &UNMISTAKABLE_SETS, &UNMISTAKABLE_PAIRS),
    ])
}

const PREFIX_SETS: [ByteSet; SYSTEM_PREFIXES.len()] = sets_of(SYSTEM_PREFIXES);
const PREFIX_PAIRS: [Pairs; SYSTEM_PREFIXES.len()] = pairs_of(SYSTEM_PREFIXES);
const PROCEDURE_SETS: [ByteSet; SYSTEM_PROCEDURES.len()] = sets_of(SYSTEM_PROCEDURES);
const PROCEDURE_PAIRS: [Pairs; SYSTEM_PROCEDURES.len()] = pairs_of(SYSTEM_PROCEDURES);
const UNMISTAKABLE_SETS: [ByteSet; UNMISTAKABLE.len()] = sets_of(UNMISTAKABLE);
const UNMISTAKABLE_PAIRS: [Pairs; UNMISTAKABLE.len()] = pairs_of(UNMISTAKABLE);
const PLAUSIBLE_SETS: [ByteSet; PLAUSIBLE.len()] = sets_of(PLAUSIBLE);
const PLAUSIBLE_PAIRS: [Pairs; PLAUSIBLE.len()] = pairs_of(PLAUSIBLE);
const SESSION_SETS: [ByteSet; SESSION_NAMES.len()] = sets_of(&SESSION_NAMES);
const SESSION_PAIRS: [Pairs; SESSION_NAMES.len()] = pairs_of(&SESSION_NAMES);

/// Needles with the byte set and the pair set of each.
type NeedleList<'a> = (&'a [&'a [u8]], &'a [ByteSet], &'a [Pairs]);

/// Looks for lower-case needles in a value, in any case, testing their bytes and
/// pairs of bytes first (the pairs are computed only when some needle's bytes occur).
struct Needles<'a> {
    value: &'a [u8],
    lower_set: ByteSet,
    pairs: std::cell::OnceCell<Pairs>,
}

impl<'a> Needles<'a> {
    fn new(value: &'a [u8], lower_set: ByteSet) -> Self {
        Self {
            value,
            lower_set,
            pairs: std::cell::OnceCell::new(),
        }
    }

    /// Whether some needle of the lists (each with its byte and pair sets) occurs.
    fn any_of(&self, lists: &[NeedleList<'_>]) -> bool {
        lists.iter().any(|(needles, sets, pairs)| {
            needles
                .iter()
                .zip(*sets)
                .zip(*pairs)
                .any(|((needle, set), needle_pairs)| {
                    self.lower_set.all_of(*set)
                        && self
                            .pairs
                            .get_or_init(|| Pairs::of_lower(self.value))
                            .all_of(needle_pairs)
                        && contains_ignore_case(self.value, needle)
                })
        })
    }
}

/// Names that read the session without parentheses (`SELECT current_user`).
pub(super) fn is_session_name(lower: &[u8]) -> bool {
    const _: () = assert!(all_keyed(&SESSION_NAMES));
    SESSION_NAMES.contains(&lower)
}

/// The names [`is_session_name`] knows.
const SESSION_NAMES: [&[u8]; 5] = [
    b"current_user",
    b"session_user",
    b"system_user",
    b"current_database",
    b"current_schema",
];

/// Whether a name belongs to an Oracle or MSSQL package that reaches outside the
/// database (`utl_http.request`, `dbms_pipe.receive_message`, `master..xp_cmdshell`).
pub(super) fn is_system_name(lower: &[u8]) -> bool {
    lower.contains(&b'.') && is_system_package(lower)
}

/// Whether a system variable (`@@name`, name lower-cased) is one attackers read to
/// fingerprint the server.
pub(super) fn is_revealing_system_variable(lower: &[u8]) -> bool {
    matches!(
        lower,
        b"version"
            | b"version_comment"
            | b"datadir"
            | b"basedir"
            | b"hostname"
            | b"servername"
            | b"tmpdir"
            | b"spid"
            | b"identity"
            | b"language"
            | b"plugin_dir"
            | b"secure_file_priv"
    )
}

/// Whether `needle` occurs in `hay` (both short: names are capped before this is called).
pub(super) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
