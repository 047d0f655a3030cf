//! Targets: which values of a request a rule reads (SecLang variables).

use crate::request::{Field, RequestView};
use std::borrow::Cow;

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
}

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
            _ => return None,
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
    fn selects(&self, name: &[u8]) -> bool {
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
    /// Calls `f` with each value this target selects from `request`.
    pub fn for_each<'r>(&self, request: &'r RequestView, mut f: impl FnMut(Value<'r>)) {
        if self.count {
            let mut n = 0usize;
            self.each(request, &mut |_| n += 1);
            f(Value {
                collection: Cow::Owned(format!("&{}", self.collection.name())),
                member: None,
                bytes: Cow::Owned(n.to_string().into_bytes()),
            });
        } else {
            self.each(request, &mut f);
        }
    }

    fn keep(&self, name: &[u8]) -> bool {
        self.selector.as_ref().is_none_or(|s| s.selects(name))
            && !self.exclusions.iter().any(|s| s.selects(name))
    }

    fn each<'r>(&self, request: &'r RequestView, f: &mut dyn FnMut(Value<'r>)) {
        use Collection::*;
        let collection = self.collection.name();
        let fields = |fields: &mut dyn Iterator<Item = &'r Field>, f: &mut dyn FnMut(Value<'r>)| {
            for field in fields.filter(|field| self.keep(&field.name)) {
                f(Value {
                    collection: Cow::Borrowed(collection),
                    member: Some(&field.name),
                    bytes: Cow::Borrowed(&field.value),
                });
            }
        };
        let names = |fields: &mut dyn Iterator<Item = &'r Field>, f: &mut dyn FnMut(Value<'r>)| {
            for field in fields.filter(|field| self.keep(&field.name)) {
                f(Value {
                    collection: Cow::Borrowed(collection),
                    member: Some(&field.name),
                    bytes: Cow::Borrowed(&field.name),
                });
            }
        };
        let single = |bytes: Cow<'r, [u8]>, f: &mut dyn FnMut(Value<'r>)| {
            if self.keep(collection.as_bytes()) || self.selector.is_none() {
                f(Value {
                    collection: Cow::Borrowed(collection),
                    member: None,
                    bytes,
                });
            }
        };
        let flag = |on: bool| Cow::Borrowed(if on { &b"1"[..] } else { &b"0"[..] });
        match self.collection {
            Args => fields(&mut request.args(), f),
            ArgsGet => fields(&mut request.args_get.iter(), f),
            ArgsPost => fields(&mut request.args_post.iter(), f),
            ArgsNames => names(&mut request.args(), f),
            ArgsGetNames => names(&mut request.args_get.iter(), f),
            ArgsPostNames => names(&mut request.args_post.iter(), f),
            RequestHeaders => fields(&mut request.headers.iter(), f),
            RequestHeadersNames => names(&mut request.headers.iter(), f),
            RequestCookies => fields(&mut request.cookies.iter(), f),
            RequestCookiesNames => names(&mut request.cookies.iter(), f),
            Xml => fields(&mut request.xml.iter(), f),
            Files | FilesNames | FilesSizes => {
                for file in request.files.iter().filter(|file| self.keep(&file.field)) {
                    let bytes = match self.collection {
                        Files => Cow::Borrowed(&file.filename[..]),
                        FilesNames => Cow::Borrowed(&file.field[..]),
                        _ => Cow::Owned(file.size.to_string().into_bytes()),
                    };
                    f(Value {
                        collection: Cow::Borrowed(collection),
                        member: Some(&file.field),
                        bytes,
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
            RequestLine => single(
                Cow::Owned(
                    format!("{} {} {}", request.method, request.uri, request.protocol).into_bytes(),
                ),
                f,
            ),
            RequestMethod => single(Cow::Borrowed(request.method.as_bytes()), f),
            RequestProtocol => single(Cow::Borrowed(request.protocol.as_bytes()), f),
            QueryString => single(Cow::Borrowed(request.query.as_bytes()), f),
            RequestBody => single(Cow::Borrowed(&request.body[..]), f),
            RequestBodyLength => single(Cow::Owned(request.body.len().to_string().into_bytes()), f),
            ReqbodyError => single(flag(request.facts.body_error.is_some()), f),
            ReqbodyErrorMsg => {
                if let Some(error) = &request.facts.body_error {
                    single(Cow::Borrowed(error.message.as_bytes()), f);
                }
            }
            ReqbodyProcessor => {
                if let Some(processor) = request.body_processor {
                    single(Cow::Borrowed(processor.name().as_bytes()), f);
                }
            }
            UrlencodedError => single(flag(request.facts.invalid_url_encoding), f),
            MultipartStrictError => single(flag(request.facts.multipart.strict_error()), f),
            RemoteAddr => single(Cow::Owned(request.client.to_string().into_bytes()), f),
        }
    }
}
