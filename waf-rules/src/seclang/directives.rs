//! From a directive's words to a typed [`Directive`].

use super::lexer::is_space;
use super::{
    BodyLimitAction, Directive, EngineMode, IdRange, OnOff, Operator, Pattern, SecRule, Variable,
    actions, variables,
};

/// Directives that are read and ignored, with the reason each can be.
///
/// Each only configures logging, audit logging or where ModSecurity stores files on disk;
/// none changes which requests a rule set detects or blocks. They are returned as
/// [`Directive::Ignored`] so that a tool can still show them.
///
/// `SecArgumentSeparator`, `SecCookieFormat` and `SecUnicodeMapFile` are *not* here:
/// they change how requests are parsed, so they are typed directives.
pub const IGNORED_DIRECTIVES: &[(&str, &str)] = &[
    (
        "SecAuditEngine",
        "audit logging: whether transactions are written to the audit log",
    ),
    ("SecAuditLog", "audit logging: the audit log file or pipe"),
    ("SecAuditLog2", "audit logging: a second audit log"),
    (
        "SecAuditLogDirMode",
        "audit logging: permissions of audit log directories",
    ),
    (
        "SecAuditLogFileMode",
        "audit logging: permissions of audit log files",
    ),
    ("SecAuditLogFormat", "audit logging: JSON or native format"),
    (
        "SecAuditLogParts",
        "audit logging: which parts of a transaction are logged",
    ),
    (
        "SecAuditLogRelevantStatus",
        "audit logging: which response statuses are logged",
    ),
    (
        "SecAuditLogStorageDir",
        "audit logging: the directory of concurrent audit logs",
    ),
    (
        "SecAuditLogType",
        "audit logging: serial, concurrent or HTTPS",
    ),
    ("SecDebugLog", "debug logging: the debug log file"),
    (
        "SecDebugLogLevel",
        "debug logging: how much is written to the debug log",
    ),
    (
        "SecSensorId",
        "audit logging: the sensor name written in audit logs",
    ),
    (
        "SecStatusEngine",
        "reports the ModSecurity version to its maintainers; no effect on rules",
    ),
    (
        "SecTmpDir",
        "on-disk storage: where large request bodies are spooled; a location only",
    ),
    (
        "SecDataDir",
        "on-disk storage: where persistent collections are saved; a location only",
    ),
    (
        "SecUploadDir",
        "on-disk storage: where uploaded files are kept after inspection",
    ),
    (
        "SecUploadKeepFiles",
        "on-disk storage: whether uploaded files are kept after the transaction",
    ),
    (
        "SecUploadFileMode",
        "on-disk storage: permissions of stored uploaded files",
    ),
    (
        "SecTmpSaveUploadedFiles",
        "on-disk storage: whether uploaded files are written to disk for inspection",
    ),
];

/// Directives ModSecurity has that this front end deliberately refuses, with why.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("SecRuleScript", "Lua rules are not supported"),
    ("SecRemoteRules", "rules are not downloaded at load time"),
    (
        "SecRemoteRulesFailAction",
        "rules are not downloaded at load time",
    ),
];

/// Parses one directive: `name` is its first word, `args` the others.
pub(super) fn directive(name: &str, args: &[String]) -> Result<Directive, String> {
    let lower = name.to_ascii_lowercase();
    let arity = |min: usize, max: usize| check_arity(name, args, min, max);
    let one = || arity(1, 1).map(|()| args[0].as_str());
    let directive = match lower.as_str() {
        "secrule" => {
            arity(2, 3)?;
            Directive::Rule(SecRule {
                variables: variables::parse(&args[0])?,
                operator: operator(&args[1])?,
                actions: args
                    .get(2)
                    .map(|a| actions::parse(a))
                    .transpose()?
                    .unwrap_or_default(),
            })
        }
        "secaction" => Directive::Action(actions::parse(one()?)?),
        "secdefaultaction" => Directive::DefaultAction(actions::parse(one()?)?),
        "secmarker" => Directive::Marker(one()?.to_owned()),
        "secruleengine" => Directive::RuleEngine(match one()?.to_ascii_lowercase().as_str() {
            "on" => EngineMode::On,
            "off" => EngineMode::Off,
            "detectiononly" => EngineMode::DetectionOnly,
            _ => {
                return Err(format!(
                    "SecRuleEngine: unknown mode {:?}, expected On, Off or DetectionOnly",
                    args[0]
                ));
            }
        }),
        "seccomponentsignature" => Directive::ComponentSignature(one()?.to_owned()),
        "include" | "includeoptional" => Directive::Include {
            path: one()?.to_owned(),
            optional: lower == "includeoptional",
        },

        "secrequestbodyaccess" => Directive::RequestBodyAccess(on_off(name, one()?)?),
        "secresponsebodyaccess" => Directive::ResponseBodyAccess(on_off(name, one()?)?),
        "secxmlexternalentity" => Directive::XmlExternalEntity(on_off(name, one()?)?),
        "secresponsebodymimetype" => {
            arity(1, usize::MAX)?;
            Directive::ResponseBodyMimeType(args.to_vec())
        }
        "secresponsebodymimetypesclear" => {
            arity(0, 0)?;
            Directive::ResponseBodyMimeTypesClear
        }
        "secrequestbodylimit" => Directive::RequestBodyLimit(number(name, one()?)?),
        "secrequestbodynofileslimit" => Directive::RequestBodyNoFilesLimit(number(name, one()?)?),
        "secrequestbodyinmemorylimit" => Directive::RequestBodyInMemoryLimit(number(name, one()?)?),
        "secresponsebodylimit" => Directive::ResponseBodyLimit(number(name, one()?)?),
        "secrequestbodylimitaction" => {
            Directive::RequestBodyLimitAction(limit_action(name, one()?)?)
        }
        "secresponsebodylimitaction" => {
            Directive::ResponseBodyLimitAction(limit_action(name, one()?)?)
        }
        "secrequestbodyjsondepthlimit" => {
            Directive::RequestBodyJsonDepthLimit(number(name, one()?)?)
        }
        "secargumentslimit" => Directive::ArgumentsLimit(number(name, one()?)?),
        "secuploadfilelimit" => Directive::UploadFileLimit(number(name, one()?)?),
        "secpcrematchlimit" => Directive::PcreMatchLimit(number(name, one()?)?),
        "secpcrematchlimitrecursion" => Directive::PcreMatchLimitRecursion(number(name, one()?)?),
        "seccollectiontimeout" => Directive::CollectionTimeout(number(name, one()?)?),
        "secargumentseparator" => match one()?.as_bytes() {
            [byte] => Directive::ArgumentSeparator(*byte),
            _ => {
                return Err(format!(
                    "SecArgumentSeparator takes one character, found {:?}",
                    args[0]
                ));
            }
        },
        "seccookieformat" => match one()? {
            "0" => Directive::CookieFormat(0),
            "1" => Directive::CookieFormat(1),
            other => return Err(format!("SecCookieFormat takes 0 or 1, found {other:?}")),
        },
        "secunicodemapfile" => {
            arity(1, 2)?;
            Directive::UnicodeMapFile {
                path: args[0].clone(),
                code_page: args.get(1).map(|c| code_page(name, c)).transpose()?,
            }
        }
        "secunicodecodepage" => Directive::UnicodeCodePage(code_page(name, one()?)?),
        "secwebappid" => Directive::WebAppId(one()?.to_owned()),

        "secruleremovebyid" => {
            arity(1, usize::MAX)?;
            Directive::RuleRemoveById(ids(args)?)
        }
        "secruleremovebytag" => {
            arity(1, usize::MAX)?;
            Directive::RuleRemoveByTag(args.iter().map(|a| Pattern::new(a)).collect())
        }
        "secruleremovebymsg" => {
            arity(1, usize::MAX)?;
            Directive::RuleRemoveByMsg(args.iter().map(|a| Pattern::new(a)).collect())
        }
        "secruleupdatetargetbyid" => {
            arity(2, 3)?;
            let (targets, replaced) = update_targets(args)?;
            Directive::RuleUpdateTargetById {
                ids: ids(&args[..1])?,
                targets,
                replaced,
            }
        }
        "secruleupdatetargetbytag" => {
            arity(2, 3)?;
            let (targets, replaced) = update_targets(args)?;
            Directive::RuleUpdateTargetByTag {
                tag: Pattern::new(&args[0]),
                targets,
                replaced,
            }
        }
        "secruleupdatetargetbymsg" => {
            arity(2, 3)?;
            let (targets, replaced) = update_targets(args)?;
            Directive::RuleUpdateTargetByMsg {
                msg: Pattern::new(&args[0]),
                targets,
                replaced,
            }
        }
        "secruleupdateactionbyid" => {
            arity(2, 2)?;
            let (id, chain_offset) = match args[0].split_once(':') {
                Some((id, offset)) => (
                    rule_id(id)?,
                    Some(
                        offset
                            .parse::<u32>()
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or_else(|| format!("bad chain offset {offset:?}"))?,
                    ),
                ),
                None => (rule_id(&args[0])?, None),
            };
            Directive::RuleUpdateActionById {
                id,
                chain_offset,
                actions: actions::parse(&args[1])?,
            }
        }
        _ => {
            if let Some((canonical, _)) = IGNORED_DIRECTIVES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                return Ok(Directive::Ignored {
                    directive: canonical,
                    args: args.to_vec(),
                });
            }
            if let Some((canonical, why)) = UNSUPPORTED
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                return Err(format!("unsupported directive {canonical}: {why}"));
            }
            return Err(format!("unsupported directive {name}"));
        }
    };
    Ok(directive)
}

fn check_arity(name: &str, args: &[String], min: usize, max: usize) -> Result<(), String> {
    if (min..=max).contains(&args.len()) {
        return Ok(());
    }
    let expected = match (min, max) {
        (min, max) if min == max => min.to_string(),
        (min, usize::MAX) => format!("at least {min}"),
        (min, max) => format!("{min} to {max}"),
    };
    Err(format!(
        "{name} takes {expected} argument(s), found {}",
        args.len()
    ))
}

/// `[!]@name argument`, or `[!]regex`, as ModSecurity 2's `msre_rule_create` reads it.
pub(super) fn operator(text: &str) -> Result<Operator, String> {
    let (negated, rest) = match text.strip_prefix('!') {
        Some(rest) => (true, rest.trim_start_matches(is_space)),
        None => (false, text),
    };
    let Some(rest) = rest.strip_prefix('@') else {
        // ModSecurity reads an operator without `@` as a regular expression.
        return Ok(Operator {
            negated,
            name: "rx".into(),
            argument: rest.to_owned(),
        });
    };
    let (name, argument) = match rest.find(is_space) {
        Some(at) => (&rest[..at], rest[at..].trim_start_matches(is_space)),
        None => (rest, ""),
    };
    if name.is_empty() {
        return Err("operator name missing after '@'".into());
    }
    Ok(Operator {
        negated,
        name: name.to_owned(),
        argument: argument.to_owned(),
    })
}

fn on_off(directive: &str, value: &str) -> Result<OnOff, String> {
    if value.eq_ignore_ascii_case("on") {
        Ok(OnOff::On)
    } else if value.eq_ignore_ascii_case("off") {
        Ok(OnOff::Off)
    } else {
        Err(format!("{directive} takes On or Off, found {value:?}"))
    }
}

fn limit_action(directive: &str, value: &str) -> Result<BodyLimitAction, String> {
    if value.eq_ignore_ascii_case("reject") {
        Ok(BodyLimitAction::Reject)
    } else if value.eq_ignore_ascii_case("processpartial") {
        Ok(BodyLimitAction::ProcessPartial)
    } else {
        Err(format!(
            "{directive} takes Reject or ProcessPartial, found {value:?}"
        ))
    }
}

/// A size or count: decimal digits only, as ModSecurity reads them (no `K`/`M` suffix).
fn number(directive: &str, value: &str) -> Result<u64, String> {
    if !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = value.parse()
    {
        return Ok(n);
    }
    Err(format!(
        "{directive} takes a non-negative decimal number, found {value:?}"
    ))
}

fn code_page(directive: &str, value: &str) -> Result<u32, String> {
    value
        .parse()
        .map_err(|_| format!("{directive}: bad code page {value:?}"))
}

fn rule_id(text: &str) -> Result<u32, String> {
    let text = text.trim_matches(is_space);
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Ok(id) = text.parse()
    {
        return Ok(id);
    }
    Err(format!("bad rule id {text:?}"))
}

/// Rule ids and ranges: each argument holds ids or `first-last` ranges separated by
/// commas or blanks, e.g. `942100`, `942100-942199`, `"1,5-9"`.
pub(super) fn ids(args: &[String]) -> Result<Vec<IdRange>, String> {
    let mut out = Vec::new();
    for arg in args {
        for item in arg.split(|c: char| c == ',' || is_space(c)) {
            if item.is_empty() {
                continue;
            }
            let range = match item.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (rule_id(first)?, rule_id(last)?);
                    if first > last {
                        return Err(format!("bad rule id range {item:?}: {first} > {last}"));
                    }
                    IdRange { first, last }
                }
                None => IdRange::single(rule_id(item)?),
            };
            out.push(range);
        }
    }
    if out.is_empty() {
        return Err("no rule id given".into());
    }
    Ok(out)
}

/// The target list and the optional replaced targets of a `SecRuleUpdateTarget…`.
fn update_targets(args: &[String]) -> Result<(Vec<Variable>, Option<Vec<Variable>>), String> {
    Ok((
        variables::parse(&args[1])?,
        args.get(2).map(|r| variables::parse(r)).transpose()?,
    ))
}
