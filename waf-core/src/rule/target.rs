//! Targets: which values of a request a rule reads (SecLang variables).

use super::transaction::Context;
use crate::request::{BodyProcessor, Field, MultipartFlags};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A request collection, named as in SecLang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// `ARGS`: query and body arguments.
    Args,
    /// `ARGS_GET`.
    ArgsGet,
    /// `ARGS_POST`.
    ArgsPost,
    /// `ARGS_NAMES`.
    ArgsNames,
    /// `ARGS_GET_NAMES`.
    ArgsGetNames,
    /// `ARGS_POST_NAMES`.
    ArgsPostNames,
    /// `REQUEST_HEADERS`.
    RequestHeaders,
    /// `REQUEST_HEADERS_NAMES`.
    RequestHeadersNames,
    /// `REQUEST_COOKIES`.
    RequestCookies,
    /// `REQUEST_COOKIES_NAMES`.
    RequestCookiesNames,
    /// `REQUEST_URI_RAW`: the request target as sent.
    RequestUriRaw,
    /// `REQUEST_URI`: the request target, percent-decoded.
    RequestUri,
    /// `REQUEST_FILENAME`: the path, percent-decoded.
    RequestFilename,
    /// `REQUEST_BASENAME`: the last path segment, percent-decoded.
    RequestBasename,
    /// `REQUEST_LINE`: `METHOD target PROTOCOL`.
    RequestLine,
    /// `REQUEST_METHOD`.
    RequestMethod,
    /// `REQUEST_PROTOCOL`.
    RequestProtocol,
    /// `QUERY_STRING`: raw.
    QueryString,
    /// `REQUEST_BODY`: raw.
    RequestBody,
    /// `REQUEST_BODY_LENGTH`.
    RequestBodyLength,
    /// `FILES`: uploaded file names by field.
    Files,
    /// `FILES_NAMES`: the fields that carried files.
    FilesNames,
    /// `FILES_SIZES`.
    FilesSizes,
    /// `XML`: XML text nodes and attributes.
    Xml,
    /// `REQBODY_ERROR`: `1` when the body could not be parsed, else `0`.
    ReqbodyError,
    /// `REQBODY_ERROR_MSG`.
    ReqbodyErrorMsg,
    /// `REQBODY_PROCESSOR`.
    ReqbodyProcessor,
    /// `URLENCODED_ERROR`: `1` on an invalid `%` escape.
    UrlencodedError,
    /// `MULTIPART_STRICT_ERROR`.
    MultipartStrictError,
    /// `REMOTE_ADDR`.
    RemoteAddr,
    /// `ARGS_COMBINED_SIZE`: the bytes of every argument name and value.
    ArgsCombinedSize,
    /// `FILES_COMBINED_SIZE`: the bytes of every uploaded file.
    FilesCombinedSize,
    /// `MULTIPART_PART_HEADERS`: each header line of each multipart part, by part name.
    MultipartPartHeaders,
    /// One of the `MULTIPART_*` flags (`1` or `0`), by its index in `MULTIPART_FLAGS`.
    MultipartFlag(usize),
    /// `TX`: the transaction's variables.
    Tx,
    /// `ENV`: variables set with `setenv`.
    Env,
    /// `IP`, `GLOBAL`, `SESSION`, `USER`, `RESOURCE`: collections opened with `initcol`
    /// (or written with `setvar`), living for the transaction.
    Stored(&'static str),
    /// `MATCHED_VAR`: the last value a rule matched (after its transformations).
    MatchedVar,
    /// `MATCHED_VAR_NAME`: its name (`ARGS:id`).
    MatchedVarName,
    /// `MATCHED_VARS`: every value the current rule (chain) matched so far.
    MatchedVars,
    /// `MATCHED_VARS_NAMES`: their names.
    MatchedVarsNames,
    /// `UNIQUE_ID`: the transaction's id.
    UniqueId,
    /// `HIGHEST_SEVERITY`: the most severe severity matched so far (255 when none).
    HighestSeverity,
    /// `DURATION`: microseconds since the transaction started.
    Duration,
    /// `TIME`, `TIME_EPOCH`, `TIME_YEAR`, … : the wall clock when the transaction
    /// started (UTC).
    Time(TimePart),
    /// `RESPONSE_STATUS`.
    ResponseStatus,
    /// `RESPONSE_PROTOCOL`.
    ResponseProtocol,
    /// `STATUS_LINE`: `HTTP/1.1 200` (with the reason phrase when known).
    StatusLine,
    /// `RESPONSE_HEADERS`.
    ResponseHeaders,
    /// `RESPONSE_HEADERS_NAMES`.
    ResponseHeadersNames,
    /// `RESPONSE_BODY`: the inspected response body.
    ResponseBody,
    /// `RESPONSE_CONTENT_TYPE`.
    ResponseContentType,
    /// `RESPONSE_CONTENT_LENGTH`.
    ResponseContentLength,
}

impl Collection {
    /// Whether the values come from the request body, which phase 1 does not see yet.
    fn reads_body(self) -> bool {
        use Collection::*;
        matches!(
            self,
            ArgsPost
                | ArgsPostNames
                | Xml
                | MultipartPartHeaders
                | Files
                | FilesNames
                | FilesSizes
                | FilesCombinedSize
                | RequestBody
                | ReqbodyError
                | ReqbodyErrorMsg
                | MultipartStrictError
                | MultipartFlag(_)
        )
    }
}

/// A part of the clock for the `TIME*` variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePart {
    /// `TIME`: `hh:mm:ss`.
    Clock,
    /// `TIME_EPOCH`: seconds since 1970.
    Epoch,
    /// `TIME_YEAR`.
    Year,
    /// `TIME_MON`: 1–12.
    Month,
    /// `TIME_DAY`: 1–31.
    Day,
    /// `TIME_HOUR`.
    Hour,
    /// `TIME_MIN`.
    Minute,
    /// `TIME_SEC`.
    Second,
    /// `TIME_WDAY`: 0 (Sunday) – 6.
    Weekday,
}

/// Hands each (name, value) of a variable collection on as a [`Value`].
type EmitVariables<'r, 'f> =
    dyn Fn(&mut dyn Iterator<Item = (&'r str, &'r [u8])>, &mut dyn FnMut(Value<'r>)) + 'f;

/// Reads one multipart flag.
pub type FlagReader = fn(&MultipartFlags) -> bool;

/// The `MULTIPART_*` flag variables and what sets each.
pub const MULTIPART_FLAGS: [(&str, FlagReader); 14] = [
    ("MULTIPART_BOUNDARY_QUOTED", |f| f.boundary_quoted),
    ("MULTIPART_BOUNDARY_WHITESPACE", |f| f.boundary_whitespace),
    ("MULTIPART_DATA_BEFORE", |f| f.data_before),
    ("MULTIPART_DATA_AFTER", |f| f.data_after),
    ("MULTIPART_HEADER_FOLDING", |f| f.header_folding),
    ("MULTIPART_LF_LINE", |f| f.lf_line),
    ("MULTIPART_CRLF_LF_LINES", |f| f.lf_line),
    ("MULTIPART_MISSING_SEMICOLON", |f| f.missing_semicolon),
    ("MULTIPART_INVALID_QUOTING", |f| f.invalid_quoting),
    ("MULTIPART_INVALID_PART", |f| f.invalid_part),
    ("MULTIPART_INVALID_HEADER_FOLDING", |f| {
        f.invalid_header_folding
    }),
    ("MULTIPART_FILE_LIMIT_EXCEEDED", |f| f.file_limit_exceeded),
    ("MULTIPART_UNMATCHED_BOUNDARY", |f| f.unmatched_boundary),
    ("MULTIPART_INCOMPLETE", |f| f.incomplete),
];

impl Collection {
    /// The collection called `name` (upper case), if supported.
    pub fn from_name(name: &str) -> Option<Self> {
        use Collection::*;
        Some(match name {
            "ARGS" => Args,
            "ARGS_GET" => ArgsGet,
            "ARGS_POST" => ArgsPost,
            "ARGS_NAMES" => ArgsNames,
            "ARGS_GET_NAMES" => ArgsGetNames,
            "ARGS_POST_NAMES" => ArgsPostNames,
            "REQUEST_HEADERS" => RequestHeaders,
            "REQUEST_HEADERS_NAMES" => RequestHeadersNames,
            "REQUEST_COOKIES" => RequestCookies,
            "REQUEST_COOKIES_NAMES" => RequestCookiesNames,
            "REQUEST_URI_RAW" => RequestUriRaw,
            "REQUEST_URI" => RequestUri,
            "REQUEST_FILENAME" => RequestFilename,
            "REQUEST_BASENAME" => RequestBasename,
            "REQUEST_LINE" => RequestLine,
            "REQUEST_METHOD" => RequestMethod,
            "REQUEST_PROTOCOL" => RequestProtocol,
            "QUERY_STRING" => QueryString,
            "REQUEST_BODY" => RequestBody,
            "REQUEST_BODY_LENGTH" => RequestBodyLength,
            "FILES" => Files,
            "FILES_NAMES" => FilesNames,
            "FILES_SIZES" => FilesSizes,
            "XML" => Xml,
            "REQBODY_ERROR" => ReqbodyError,
            "REQBODY_ERROR_MSG" => ReqbodyErrorMsg,
            "REQBODY_PROCESSOR" => ReqbodyProcessor,
            "URLENCODED_ERROR" => UrlencodedError,
            "MULTIPART_STRICT_ERROR" => MultipartStrictError,
            "REMOTE_ADDR" => RemoteAddr,
            "ARGS_COMBINED_SIZE" => ArgsCombinedSize,
            "FILES_COMBINED_SIZE" => FilesCombinedSize,
            "MULTIPART_PART_HEADERS" => MultipartPartHeaders,
            "TX" => Tx,
            "ENV" => Env,
            "IP" => Stored("ip"),
            "GLOBAL" => Stored("global"),
            "SESSION" => Stored("session"),
            "USER" => Stored("user"),
            "RESOURCE" => Stored("resource"),
            "MATCHED_VAR" => MatchedVar,
            "MATCHED_VAR_NAME" => MatchedVarName,
            "MATCHED_VARS" => MatchedVars,
            "MATCHED_VARS_NAMES" => MatchedVarsNames,
            "UNIQUE_ID" => UniqueId,
            "HIGHEST_SEVERITY" => HighestSeverity,
            "DURATION" => Duration,
            "TIME" => Time(TimePart::Clock),
            "TIME_EPOCH" => Time(TimePart::Epoch),
            "TIME_YEAR" => Time(TimePart::Year),
            "TIME_MON" => Time(TimePart::Month),
            "TIME_DAY" => Time(TimePart::Day),
            "TIME_HOUR" => Time(TimePart::Hour),
            "TIME_MIN" => Time(TimePart::Minute),
            "TIME_SEC" => Time(TimePart::Second),
            "TIME_WDAY" => Time(TimePart::Weekday),
            "RESPONSE_STATUS" => ResponseStatus,
            "RESPONSE_PROTOCOL" => ResponseProtocol,
            "STATUS_LINE" => StatusLine,
            "RESPONSE_HEADERS" => ResponseHeaders,
            "RESPONSE_HEADERS_NAMES" => ResponseHeadersNames,
            "RESPONSE_BODY" => ResponseBody,
            "RESPONSE_CONTENT_TYPE" => ResponseContentType,
            "RESPONSE_CONTENT_LENGTH" => ResponseContentLength,
            other => MultipartFlag(MULTIPART_FLAGS.iter().position(|(n, _)| *n == other)?),
        })
    }

    /// The SecLang name, for match reports.
    pub fn name(self) -> &'static str {
        use Collection::*;
        match self {
            Args => "ARGS",
            ArgsGet => "ARGS_GET",
            ArgsPost => "ARGS_POST",
            ArgsNames => "ARGS_NAMES",
            ArgsGetNames => "ARGS_GET_NAMES",
            ArgsPostNames => "ARGS_POST_NAMES",
            RequestHeaders => "REQUEST_HEADERS",
            RequestHeadersNames => "REQUEST_HEADERS_NAMES",
            RequestCookies => "REQUEST_COOKIES",
            RequestCookiesNames => "REQUEST_COOKIES_NAMES",
            RequestUriRaw => "REQUEST_URI_RAW",
            RequestUri => "REQUEST_URI",
            RequestFilename => "REQUEST_FILENAME",
            RequestBasename => "REQUEST_BASENAME",
            RequestLine => "REQUEST_LINE",
            RequestMethod => "REQUEST_METHOD",
            RequestProtocol => "REQUEST_PROTOCOL",
            QueryString => "QUERY_STRING",
            RequestBody => "REQUEST_BODY",
            RequestBodyLength => "REQUEST_BODY_LENGTH",
            Files => "FILES",
            FilesNames => "FILES_NAMES",
            FilesSizes => "FILES_SIZES",
            Xml => "XML",
            ReqbodyError => "REQBODY_ERROR",
            ReqbodyErrorMsg => "REQBODY_ERROR_MSG",
            ReqbodyProcessor => "REQBODY_PROCESSOR",
            UrlencodedError => "URLENCODED_ERROR",
            MultipartStrictError => "MULTIPART_STRICT_ERROR",
            RemoteAddr => "REMOTE_ADDR",
            ArgsCombinedSize => "ARGS_COMBINED_SIZE",
            FilesCombinedSize => "FILES_COMBINED_SIZE",
            MultipartPartHeaders => "MULTIPART_PART_HEADERS",
            MultipartFlag(index) => MULTIPART_FLAGS[index].0,
            Tx => "TX",
            Env => "ENV",
            Stored("ip") => "IP",
            Stored("global") => "GLOBAL",
            Stored("session") => "SESSION",
            Stored("user") => "USER",
            Stored(_) => "RESOURCE",
            MatchedVar => "MATCHED_VAR",
            MatchedVarName => "MATCHED_VAR_NAME",
            MatchedVars => "MATCHED_VARS",
            MatchedVarsNames => "MATCHED_VARS_NAMES",
            UniqueId => "UNIQUE_ID",
            HighestSeverity => "HIGHEST_SEVERITY",
            Duration => "DURATION",
            Time(TimePart::Clock) => "TIME",
            Time(TimePart::Epoch) => "TIME_EPOCH",
            Time(TimePart::Year) => "TIME_YEAR",
            Time(TimePart::Month) => "TIME_MON",
            Time(TimePart::Day) => "TIME_DAY",
            Time(TimePart::Hour) => "TIME_HOUR",
            Time(TimePart::Minute) => "TIME_MIN",
            Time(TimePart::Second) => "TIME_SEC",
            Time(TimePart::Weekday) => "TIME_WDAY",
            ResponseStatus => "RESPONSE_STATUS",
            ResponseProtocol => "RESPONSE_PROTOCOL",
            StatusLine => "STATUS_LINE",
            ResponseHeaders => "RESPONSE_HEADERS",
            ResponseHeadersNames => "RESPONSE_HEADERS_NAMES",
            ResponseBody => "RESPONSE_BODY",
            ResponseContentType => "RESPONSE_CONTENT_TYPE",
            ResponseContentLength => "RESPONSE_CONTENT_LENGTH",
        }
    }
}

/// Which members of a collection: by name (ASCII case-insensitive) or by regex.
#[derive(Debug, Clone)]
pub enum Selector {
    /// A member name.
    Name(Vec<u8>),
    /// A regular expression over member names (case-insensitive).
    Regex(regex::bytes::Regex),
}

impl Selector {
    pub(crate) fn selects(&self, name: &[u8]) -> bool {
        match self {
            Self::Name(n) => n.eq_ignore_ascii_case(name),
            Self::Regex(r) => r.is_match(name),
        }
    }
}

/// One compiled variable of a rule.
#[derive(Debug, Clone)]
pub struct Target {
    /// The collection read.
    pub collection: Collection,
    /// Only these members, when set.
    pub selector: Option<Selector>,
    /// Members left out (`!ARGS:foo` elsewhere in the same rule).
    pub exclusions: Vec<Selector>,
    /// `&`: the rule tests the number of values.
    pub count: bool,
}

/// One value handed to an operator: where it comes from and the bytes.
pub struct Value<'r> {
    /// The collection's name (`ARGS`, `&ARGS` for counts, …).
    pub collection: Cow<'static, str>,
    /// The member's name, for collections with members (`id` of `ARGS:id`).
    pub member: Option<&'r [u8]>,
    /// The value before the rule's transformations.
    pub bytes: Cow<'r, [u8]>,
    /// The bytes live in the request or response for the whole transaction, so their
    /// transformations may be cached by address.
    pub(crate) stable: bool,
}

impl Value<'_> {
    /// `ARGS:id`, `REQUEST_HEADERS:User-Agent`, `REQUEST_URI`, … Built only when a rule
    /// matches, so that inspecting a value costs no allocation.
    pub fn name(&self) -> String {
        match self.member {
            Some(member) => format!("{}:{}", self.collection, String::from_utf8_lossy(member)),
            None => self.collection.clone().into_owned(),
        }
    }
}

impl Target {
    /// Calls `f` with each value this target selects in `context`, leaving out members
    /// that `removed` selects (`ctl:ruleRemoveTarget…`).
    pub(crate) fn for_each<'r>(
        &self,
        context: &Context<'r>,
        removed: &[&super::TargetSpec],
        mut f: impl FnMut(Value<'r>),
    ) {
        // No allocation: most rules have nothing removed.
        let removed = removed
            .iter()
            .filter(|(c, _)| *c == self.collection)
            .map(|(_, s)| s);
        if removed.clone().any(|s| s.is_none()) {
            return;
        }
        let keep = |name: &[u8]| {
            self.keep(name)
                && !removed
                    .clone()
                    .any(|s| s.as_ref().is_some_and(|s| s.selects(name)))
        };
        if self.count {
            let mut n = 0usize;
            self.each(context, &keep, &mut |_| n += 1);
            f(Value {
                collection: Cow::Owned(format!("&{}", self.collection.name())),
                member: None,
                bytes: Cow::Owned(n.to_string().into_bytes()),
                stable: false,
            });
        } else {
            self.each(context, &keep, &mut f);
        }
    }

    /// The members of a variable collection (`TX`, …): one lookup for a named member
    /// (names are stored lower case, and so are the compiled selectors of these
    /// collections), else every member.
    fn variables<'r>(
        &self,
        map: &'r BTreeMap<String, Vec<u8>>,
        vars: &EmitVariables<'r, '_>,
        f: &mut dyn FnMut(Value<'r>),
    ) {
        if let Some(Selector::Name(name)) = &self.selector {
            let found = std::str::from_utf8(name)
                .ok()
                .and_then(|name| map.get_key_value(name));
            vars(
                &mut found.into_iter().map(|(k, v)| (k.as_str(), v.as_slice())),
                f,
            );
        } else {
            vars(&mut map.iter().map(|(k, v)| (k.as_str(), v.as_slice())), f);
        }
    }

    fn keep(&self, name: &[u8]) -> bool {
        self.selector.as_ref().is_none_or(|s| s.selects(name))
            && !self.exclusions.iter().any(|s| s.selects(name))
    }

    fn each<'r>(
        &self,
        context: &Context<'r>,
        keep: &dyn Fn(&[u8]) -> bool,
        f: &mut dyn FnMut(Value<'r>),
    ) {
        use Collection::*;
        let request = context.request;
        if !context.body_available && self.collection.reads_body() {
            return;
        }
        let collection = self.collection.name();
        let fields = |fields: &mut dyn Iterator<Item = &'r Field>, f: &mut dyn FnMut(Value<'r>)| {
            for field in fields.filter(|field| keep(&field.name)) {
                f(Value {
                    collection: Cow::Borrowed(collection),
                    member: Some(&field.name),
                    bytes: Cow::Borrowed(&field.value),
                    stable: true,
                });
            }
        };
        let names = |fields: &mut dyn Iterator<Item = &'r Field>, f: &mut dyn FnMut(Value<'r>)| {
            for field in fields.filter(|field| keep(&field.name)) {
                f(Value {
                    collection: Cow::Borrowed(collection),
                    member: Some(&field.name),
                    bytes: Cow::Borrowed(&field.name),
                    stable: true,
                });
            }
        };
        let vars = |vars: &mut dyn Iterator<Item = (&'r str, &'r [u8])>,
                    f: &mut dyn FnMut(Value<'r>)| {
            for (name, value) in vars.filter(|(name, _)| keep(name.as_bytes())) {
                f(Value {
                    collection: Cow::Borrowed(collection),
                    member: Some(name.as_bytes()),
                    bytes: Cow::Borrowed(value),
                    stable: false,
                });
            }
        };
        let single = |bytes: Cow<'r, [u8]>, f: &mut dyn FnMut(Value<'r>)| {
            if self.selector.is_none() || keep(collection.as_bytes()) {
                let stable = matches!(bytes, Cow::Borrowed(_));
                f(Value {
                    collection: Cow::Borrowed(collection),
                    member: None,
                    bytes,
                    stable,
                });
            }
        };
        let number = |n: usize| Cow::Owned(n.to_string().into_bytes());
        let flag = |on: bool| Cow::Borrowed(if on { &b"1"[..] } else { &b"0"[..] });
        let state = context.state;
        let response = context.response;
        match self.collection {
            Args => fields(&mut context.args(), f),
            ArgsGet => fields(&mut request.args_get.iter(), f),
            ArgsPost => fields(&mut request.args_post.iter(), f),
            ArgsNames => names(&mut context.args(), f),
            ArgsGetNames => names(&mut request.args_get.iter(), f),
            ArgsPostNames => names(&mut request.args_post.iter(), f),
            RequestHeaders => fields(&mut request.headers.iter(), f),
            RequestHeadersNames => names(&mut request.headers.iter(), f),
            RequestCookies => fields(&mut request.cookies.iter(), f),
            RequestCookiesNames => names(&mut request.cookies.iter(), f),
            Xml => {
                // `XML:/*` reads text nodes, `XML://@*` attributes; other paths name
                // the nodes they select.
                for field in request.xml.iter() {
                    let attribute = field.name.windows(2).any(|w| w == b"/@");
                    let wanted = match &self.selector {
                        Some(Selector::Name(path)) if path == b"/*" => !attribute,
                        Some(Selector::Name(path)) if path == b"//@*" => attribute,
                        _ => keep(&field.name),
                    };
                    if wanted {
                        f(Value {
                            collection: Cow::Borrowed(collection),
                            member: Some(&field.name),
                            bytes: Cow::Borrowed(&field.value),
                            stable: true,
                        });
                    }
                }
            }
            MultipartPartHeaders => fields(&mut request.part_headers.iter(), f),
            Files | FilesNames | FilesSizes => {
                for file in request.files.iter().filter(|file| keep(&file.field)) {
                    let (bytes, stable) = match self.collection {
                        Files => (Cow::Borrowed(&file.filename[..]), true),
                        FilesNames => (Cow::Borrowed(&file.field[..]), true),
                        _ => (number(file.size), false),
                    };
                    f(Value {
                        collection: Cow::Borrowed(collection),
                        member: Some(&file.field),
                        bytes,
                        stable,
                    });
                }
            }
            RequestUriRaw => single(Cow::Borrowed(request.uri.as_bytes()), f),
            RequestUri => single(Cow::Borrowed(&request.uri_decoded), f),
            RequestFilename => single(Cow::Borrowed(&request.path_decoded), f),
            RequestBasename => {
                let path = &request.path_decoded;
                let base = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
                single(Cow::Borrowed(base), f)
            }
            RequestLine => single(Cow::Borrowed(state.request_line.as_bytes()), f),
            RequestMethod => single(Cow::Borrowed(request.method.as_bytes()), f),
            RequestProtocol => single(Cow::Borrowed(request.protocol.as_bytes()), f),
            QueryString => single(Cow::Borrowed(request.query.as_bytes()), f),
            RequestBody => {
                // As in ModSecurity 2: the raw body is kept where the URL-encoded or
                // JSON parser read it, not where the XML or multipart parser took it
                // apart, unless a rule forces it (`ctl:forceRequestBodyVariable`).
                let kept = !matches!(
                    request.body_processor,
                    Some(BodyProcessor::Xml | BodyProcessor::Multipart)
                );
                if state.request_body_access && (kept || state.force_request_body) {
                    single(Cow::Borrowed(&request.body[..]), f)
                }
            }
            RequestBodyLength => single(number(request.body.len()), f),
            ReqbodyError => single(flag(request.facts.body_error.is_some()), f),
            ReqbodyErrorMsg => {
                if let Some(error) = &request.facts.body_error {
                    single(Cow::Borrowed(error.message.as_bytes()), f);
                }
            }
            ReqbodyProcessor => {
                let name = request.body_processor.map_or("", BodyProcessor::name);
                single(Cow::Borrowed(name.as_bytes()), f);
            }
            UrlencodedError => single(flag(request.facts.invalid_url_encoding), f),
            MultipartStrictError => single(flag(request.facts.multipart.strict_error()), f),
            MultipartFlag(index) => single(
                flag((MULTIPART_FLAGS[index].1)(&request.facts.multipart)),
                f,
            ),
            RemoteAddr => single(Cow::Owned(request.client.to_string().into_bytes()), f),
            ArgsCombinedSize => single(
                number(context.args().map(|a| a.name.len() + a.value.len()).sum()),
                f,
            ),
            FilesCombinedSize => {
                single(number(request.files.iter().map(|file| file.size).sum()), f)
            }
            Tx => self.variables(&state.tx, &vars, f),
            Env => self.variables(&state.env, &vars, f),
            Stored(store) => {
                if let Some(vars_of) = state.stores.get(store) {
                    self.variables(vars_of, &vars, f)
                }
            }
            MatchedVar => {
                if let Some((_, value)) = state.matched.last() {
                    single(Cow::Borrowed(value), f)
                }
            }
            MatchedVarName => {
                if let Some((name, _)) = state.matched.last() {
                    single(Cow::Borrowed(name.as_bytes()), f)
                }
            }
            MatchedVars => vars(
                &mut state
                    .matched
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_slice())),
                f,
            ),
            MatchedVarsNames => vars(
                &mut state
                    .matched
                    .iter()
                    .map(|(k, _)| (k.as_str(), k.as_bytes())),
                f,
            ),
            UniqueId => single(
                Cow::Owned(state.clock.unique_id(state.serial).into_bytes()),
                f,
            ),
            HighestSeverity => single(number(state.highest_severity as usize), f),
            Duration => single(number(state.started.elapsed().as_micros() as usize), f),
            Time(part) => single(Cow::Owned(state.clock.part(part).into_bytes()), f),
            ResponseStatus => {
                if let Some(response) = response {
                    single(number(usize::from(response.status)), f)
                }
            }
            ResponseProtocol => {
                if let Some(response) = response {
                    single(Cow::Borrowed(response.protocol.as_bytes()), f)
                }
            }
            StatusLine => {
                if let Some(response) = response {
                    single(Cow::Owned(response.status_line().into_bytes()), f)
                }
            }
            ResponseHeaders => {
                if let Some(response) = response {
                    fields(&mut response.headers.iter(), f)
                }
            }
            ResponseHeadersNames => {
                if let Some(response) = response {
                    names(&mut response.headers.iter(), f)
                }
            }
            ResponseBody => {
                if let Some(response) = response.filter(|_| state.response_body_inspected) {
                    single(Cow::Borrowed(&response.body[..]), f)
                }
            }
            ResponseContentType => {
                if let Some(value) = response.and_then(|r| r.header("content-type")) {
                    single(Cow::Borrowed(value), f)
                }
            }
            ResponseContentLength => {
                if let Some(value) = response.and_then(|r| r.header("content-length")) {
                    single(Cow::Borrowed(value), f)
                }
            }
        }
    }
}
