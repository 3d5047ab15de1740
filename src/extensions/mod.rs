//! WebSocket extensions (RFC 6455 §9): the `Sec-WebSocket-Extensions` grammar and the
//! negotiation hooks that concrete extensions (permessage-deflate, RFC 7692) plug into.
//!
//! This module knows no extension by name. It parses and formats the header
//! ([`parse_header`], [`format_header`]), holds the vocabulary ([`Extension`], [`Param`]), and
//! defines the two hooks:
//!
//! | hook | who calls it | when |
//! | --- | --- | --- |
//! | [`ServerNegotiator::negotiate`] | the server handshake | once per client offer of that extension, in the client's order, until one returns `Some` |
//! | [`ClientNegotiator::offers`] | the client handshake | when building the request |
//! | [`ClientNegotiator::check_response`] | the client handshake | for the server's acceptance of that extension |
//!
//! Offers of extensions that no hook handles are declined (left out of the response), never
//! an error (RFC 6455 §9.1: the server *may* accept any subset). Names compare
//! case-sensitively: `Permessage-Deflate` is not `permessage-deflate` (as in Node's ws and
//! Python's websockets).
//!
//! ```
//! use wswire::extensions::{format_header, parse_header};
//!
//! let offers = parse_header(b"permessage-deflate; client_max_window_bits, x-foo; a=\"1\"")?;
//! assert_eq!(offers[0].name(), "permessage-deflate");
//! assert_eq!(offers[0].params()[0].name(), "client_max_window_bits");
//! assert_eq!(offers[1].params()[0].value(), Some("1"));
//! assert_eq!(format_header(&offers), "permessage-deflate; client_max_window_bits, x-foo; a=1");
//! # Ok::<(), wswire::extensions::ExtensionHeaderError>(())
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::http_grammar::{is_tchar, is_token};

pub mod deflate;

/// One extension parameter: `name` or `name=value` (RFC 6455 §9.1 `extension-param`).
///
/// Both parts are tokens (a quoted value is unescaped, and RFC 6455 §9.1 requires the result to
/// be a token), so every `Param` formats back without quoting.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    name: String,
    value: Option<String>,
}

impl Param {
    /// A parameter, checked against the grammar.
    ///
    /// # Errors
    /// [`ExtensionHeaderError::InvalidToken`] when the name or the value is not a non-empty
    /// token (RFC 9110 §5.6.2).
    pub fn new(name: &str, value: Option<&str>) -> Result<Self, ExtensionHeaderError> {
        if !is_token(name) || value.is_some_and(|v| !is_token(v)) {
            return Err(ExtensionHeaderError::InvalidToken);
        }
        Ok(Self {
            name: name.to_string(),
            value: value.map(ToString::to_string),
        })
    }

    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameter's value, unquoted; `None` for a bare `name`.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// An extension with its parameters: one element of `Sec-WebSocket-Extensions`, as offered by
/// a client or accepted by a server (RFC 6455 §9.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Extension {
    name: String,
    params: Vec<Param>,
}

impl Extension {
    /// An extension with no parameters.
    ///
    /// # Errors
    /// [`ExtensionHeaderError::InvalidToken`] when `name` is not a non-empty token.
    pub fn new(name: &str) -> Result<Self, ExtensionHeaderError> {
        Self::with_params(name, Vec::new())
    }

    /// An extension with the given parameters, kept in order.
    ///
    /// # Errors
    /// [`ExtensionHeaderError::InvalidToken`] when `name` is not a non-empty token.
    pub fn with_params(name: &str, params: Vec<Param>) -> Result<Self, ExtensionHeaderError> {
        if !is_token(name) {
            return Err(ExtensionHeaderError::InvalidToken);
        }
        Ok(Self {
            name: name.to_string(),
            params,
        })
    }

    /// The extension's registered name, e.g. `permessage-deflate`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters in the order they appeared. Repeated names are kept: deciding whether a
    /// repeat is allowed is the extension's business (RFC 7692 §7).
    pub fn params(&self) -> &[Param] {
        &self.params
    }
}

impl fmt::Display for Extension {
    /// The element as it appears in the header: `name; p; q=v` (as Node's ws formats it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            write!(f, "; {}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

/// A `Sec-WebSocket-Extensions` value that does not match the grammar of RFC 6455 §9.1.
///
/// A server answers it with 400; a client fails the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionHeaderError {
    /// No extension at all (an empty value or only commas): `1#extension` needs one.
    Empty,
    /// A name or value that is empty or holds a character other than a `tchar`, including
    /// whitespace inside a token and any non-ASCII byte.
    InvalidToken,
    /// A quoted value that is unterminated, ends in a lone `\`, or is followed by something
    /// other than `;`, `,` or the end.
    InvalidQuotedString,
    /// The value ended where a name or value was required (`foo;`, `foo;bar=`).
    UnexpectedEnd,
}

impl fmt::Display for ExtensionHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "Sec-WebSocket-Extensions lists no extension",
            Self::InvalidToken => "Sec-WebSocket-Extensions holds an invalid token",
            Self::InvalidQuotedString => "Sec-WebSocket-Extensions holds an invalid quoted string",
            Self::UnexpectedEnd => "Sec-WebSocket-Extensions ends early",
        })
    }
}

impl core::error::Error for ExtensionHeaderError {}

/// Parses one `Sec-WebSocket-Extensions` field value.
///
/// ```text
/// Sec-WebSocket-Extensions = extension-list
/// extension-list = 1#extension
/// extension      = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
///     ; a quoted-string value MUST conform to the token ABNF after unescaping
/// ```
/// (RFC 6455 §9.1, §4.3). As RFC 9110 §5.6.1 requires of a list recipient, empty list elements
/// (`foo,,bar`, a trailing `,`) are ignored, but at least one extension must be present.
/// Optional whitespace is allowed around `,`, `;` and `=` (RFC 6455 §9.1 refers to RFC 2616's
/// implied linear whitespace); whitespace inside a token is not.
///
/// # Errors
/// An [`ExtensionHeaderError`] for anything outside that grammar: empty names or values,
/// misplaced whitespace, non-token or non-ASCII characters, or a premature end.
pub fn parse_header(value: &[u8]) -> Result<Vec<Extension>, ExtensionHeaderError> {
    let mut out = Vec::new();
    parse_header_into(value, &mut out)?;
    if out.is_empty() {
        return Err(ExtensionHeaderError::Empty);
    }
    Ok(out)
}

/// Parses one field value and appends its extensions to `out`, allowing a value with no
/// extension (the caller enforces `1#` over all lines of the field, RFC 9110 §5.3).
pub(crate) fn parse_header_into(
    value: &[u8],
    out: &mut Vec<Extension>,
) -> Result<(), ExtensionHeaderError> {
    let mut p = Parser { s: value, i: 0 };
    loop {
        p.skip_ows();
        match p.peek() {
            None => return Ok(()),
            Some(b',') => {
                p.i += 1;
                continue;
            }
            Some(_) => {}
        }
        let name = p.token()?;
        let mut params = Vec::new();
        loop {
            p.skip_ows();
            match p.peek() {
                None => {
                    out.push(Extension { name, params });
                    return Ok(());
                }
                Some(b',') => {
                    p.i += 1;
                    out.push(Extension { name, params });
                    break;
                }
                Some(b';') => {
                    p.i += 1;
                    p.skip_ows();
                    params.push(p.param()?);
                }
                Some(_) => return Err(ExtensionHeaderError::InvalidToken),
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// `token = 1*tchar`
    fn token(&mut self) -> Result<String, ExtensionHeaderError> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        let tok = self.s.get(start..self.i).unwrap_or_default();
        if tok.is_empty() {
            return Err(match self.peek() {
                None => ExtensionHeaderError::UnexpectedEnd,
                Some(_) => ExtensionHeaderError::InvalidToken,
            });
        }
        // Every tchar is ASCII, so this conversion cannot fail.
        core::str::from_utf8(tok)
            .map(ToString::to_string)
            .map_err(|_| ExtensionHeaderError::InvalidToken)
    }

    /// `extension-param = token [ "=" (token | quoted-string) ]`
    fn param(&mut self) -> Result<Param, ExtensionHeaderError> {
        let name = self.token()?;
        self.skip_ows();
        if self.peek() != Some(b'=') {
            return Ok(Param { name, value: None });
        }
        self.i += 1;
        self.skip_ows();
        let value = match self.peek() {
            None => return Err(ExtensionHeaderError::UnexpectedEnd),
            Some(b'"') => self.quoted()?,
            Some(_) => self.token()?,
        };
        Ok(Param {
            name,
            value: Some(value),
        })
    }

    /// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE` (RFC 9110 §5.6.4), whose
    /// unescaped content must be a token (RFC 6455 §9.1).
    fn quoted(&mut self) -> Result<String, ExtensionHeaderError> {
        self.i += 1; // the opening quote
        let mut v = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(ExtensionHeaderError::InvalidQuotedString);
            };
            self.i += 1;
            let c = match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(ExtensionHeaderError::InvalidQuotedString);
                    };
                    self.i += 1;
                    e
                }
                c => c,
            };
            if !is_tchar(c) {
                return Err(ExtensionHeaderError::InvalidToken);
            }
            v.push(char::from(c));
        }
        if v.is_empty() {
            return Err(ExtensionHeaderError::InvalidToken);
        }
        // After the closing quote only OWS, then `;`, `,` or the end.
        self.skip_ows();
        match self.peek() {
            None | Some(b';' | b',') => Ok(v),
            Some(_) => Err(ExtensionHeaderError::InvalidQuotedString),
        }
    }
}

/// Formats extensions as one `Sec-WebSocket-Extensions` value: elements joined by `, `,
/// parameters by `; `, valueless parameters as bare names (as Node's ws does). The result parses
/// back with [`parse_header`] to the same list.
pub fn format_header(extensions: &[Extension]) -> String {
    let mut s = String::new();
    write_header(extensions, &mut s);
    s
}

pub(crate) fn write_header(extensions: &[Extension], out: &mut String) {
    for (i, e) in extensions.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&e.name);
        for p in &e.params {
            out.push_str("; ");
            out.push_str(&p.name);
            if let Some(v) = &p.value {
                out.push('=');
                out.push_str(v);
            }
        }
    }
}

/// Why a client refuses the server's acceptance of one of its extensions; the client then
/// fails the handshake (RFC 6455 §9.1; RFC 7692 §7 for permessage-deflate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NegotiationError {
    reason: &'static str,
}

impl NegotiationError {
    /// An error with a short human-readable reason.
    pub const fn new(reason: &'static str) -> Self {
        Self { reason }
    }

    /// The reason given.
    pub const fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl core::error::Error for NegotiationError {}

/// The server side of one extension: decides which client offer (if any) to accept.
///
/// A [`crate::handshake::ServerConfig`] holds a list of these. For every offer in the client's
/// header whose name equals [`ServerNegotiator::name`] (case-sensitively), in the client's
/// order, the handshake calls [`ServerNegotiator::negotiate`] until one call returns `Some`;
/// later offers of the same extension are skipped (RFC 7692 §5: at most one of a kind). Offers
/// no negotiator handles are declined, not errors.
///
/// ```
/// use wswire::extensions::{Param, ServerNegotiator};
///
/// /// Accepts `x-echo` offers that carry no parameters.
/// #[derive(Debug)]
/// struct Echo;
/// impl ServerNegotiator for Echo {
///     fn name(&self) -> &str { "x-echo" }
///     fn negotiate(&self, offer: &[Param]) -> Option<Vec<Param>> {
///         offer.is_empty().then(Vec::new)
///     }
/// }
///
/// let mut config = wswire::handshake::ServerConfig::default();
/// config.extension(Box::new(Echo));
/// let offers = wswire::extensions::parse_header(b"x-echo; a, x-echo, x-other")?;
/// let accepted = config.negotiate_extensions(&offers);
/// assert_eq!(wswire::extensions::format_header(&accepted), "x-echo");
/// # Ok::<(), wswire::extensions::ExtensionHeaderError>(())
/// ```
pub trait ServerNegotiator: fmt::Debug + Send + Sync {
    /// The extension token this negotiator handles.
    fn name(&self) -> &str;

    /// One offer's parameters. `Some(params)` accepts it and answers with those response
    /// parameters; `None` declines this offer (the next offer, if any, is tried). Declining
    /// is how invalid parameters are handled: RFC 7692 §7 says to decline, not to fail.
    fn negotiate(&self, offer: &[Param]) -> Option<Vec<Param>>;
}

/// The client side of one extension: what to offer and whether the server's answer is
/// acceptable.
pub trait ClientNegotiator: fmt::Debug + Send + Sync {
    /// The extension token this negotiator handles.
    fn name(&self) -> &str;

    /// The offers to send, most preferred first: one parameter list per offer of this
    /// extension (usually one). An empty list offers nothing.
    fn offers(&self) -> Vec<Vec<Param>>;

    /// Validates the parameters the server accepted this extension with.
    ///
    /// # Errors
    /// A [`NegotiationError`] when the parameters are not a valid response to the offers; the
    /// handshake then fails.
    fn check_response(&self, params: &[Param]) -> Result<(), NegotiationError>;
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    fn p(name: &str, value: Option<&str>) -> Param {
        Param::new(name, value).unwrap()
    }

    fn ext(name: &str, params: Vec<Param>) -> Extension {
        Extension::with_params(name, params).unwrap()
    }

    #[test]
    fn valid_headers_parse() {
        let cases: Vec<(&str, Vec<Extension>)> = vec![
            ("foo", vec![ext("foo", vec![])]),
            (
                "foo;bar;baz=1;bar=2",
                vec![ext(
                    "foo",
                    vec![p("bar", None), p("baz", Some("1")), p("bar", Some("2"))],
                )],
            ),
            (
                "foo,bar;baz,foo;baz",
                vec![
                    ext("foo", vec![]),
                    ext("bar", vec![p("baz", None)]),
                    ext("foo", vec![p("baz", None)]),
                ],
            ),
            (
                "foo;bar=\"hi\"",
                vec![ext("foo", vec![p("bar", Some("hi"))])],
            ),
            (
                "foo;bar=\"\\0\"",
                vec![ext("foo", vec![p("bar", Some("0"))])],
            ),
            (
                "foo;bar=\"b\\a\\z\"",
                vec![ext("foo", vec![p("bar", Some("baz"))])],
            ),
            (
                "foo;bar=\"b\\az\";bar",
                vec![ext("foo", vec![p("bar", Some("baz")), p("bar", None)])],
            ),
            (
                "foo; bar\t; \tbaz=1\t ;  bar=\"1\"\t\t, \tqux\t ;norf",
                vec![
                    ext(
                        "foo",
                        vec![p("bar", None), p("baz", Some("1")), p("bar", Some("1"))],
                    ),
                    ext("qux", vec![p("norf", None)]),
                ],
            ),
            ("foo;bar = 1", vec![ext("foo", vec![p("bar", Some("1"))])]),
            (
                "foo;bar= \"1\" ",
                vec![ext("foo", vec![p("bar", Some("1"))])],
            ),
            ("foo,,bar,", vec![ext("foo", vec![]), ext("bar", vec![])]),
            (",foo", vec![ext("foo", vec![])]),
            ("foo;bar,", vec![ext("foo", vec![p("bar", None)])]),
            (
                "hasOwnProperty, toString",
                vec![ext("hasOwnProperty", vec![]), ext("toString", vec![])],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_header(input.as_bytes()), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn malformed_headers_are_errors() {
        use ExtensionHeaderError::{Empty, InvalidQuotedString, InvalidToken, UnexpectedEnd};
        let cases = [
            ("", Empty),
            (",", Empty),
            ("  ,  ,", Empty),
            ("foo;bar=\"baz\"qux", InvalidQuotedString),
            ("foo;bar=\"baz\" qux", InvalidQuotedString),
            ("foo;=", InvalidToken),
            ("foo; =", InvalidToken),
            ("foo;;", InvalidToken),
            ("foo; ;", InvalidToken),
            ("foo;bar=,", InvalidToken),
            ("foo;bar=\"\"", InvalidToken),
            ("f oo", InvalidToken),
            ("foo;ba r", InvalidToken),
            ("foo;bar=ba z", InvalidToken),
            ("f@o", InvalidToken),
            ("f\\oo", InvalidToken),
            ("\"foo\"", InvalidToken),
            ("f\"oo\"", InvalidToken),
            ("foo;b@r", InvalidToken),
            ("foo;b\\ar", InvalidToken),
            ("foo;\"bar\"", InvalidToken),
            ("foo;b\"ar\"", InvalidToken),
            ("foo;bar=b@z", InvalidToken),
            ("foo;bar=b\"az\"", InvalidToken),
            ("foo;bar=\"b@z\"", InvalidToken),
            ("foo;bar=\"baz;\"", InvalidToken),
            ("foo;bar=\"\\\\\"", InvalidToken),
            ("foo;", UnexpectedEnd),
            ("foo;bar=", UnexpectedEnd),
            ("foo;bar = ", UnexpectedEnd),
            ("foo;bar=\"baz", InvalidQuotedString),
            ("foo;bar=\"1\\", InvalidQuotedString),
            ("f\u{e9}o", InvalidToken),
            ("permessage-deflate; x=\"a,b\"", InvalidToken),
        ];
        for (input, e) in cases {
            assert_eq!(parse_header(input.as_bytes()), Err(e), "{input:?}");
        }
    }

    #[test]
    fn format_and_round_trip() {
        assert_eq!(format_header(&[ext("foo", vec![])]), "foo");
        let two = [ext(
            "foo",
            vec![p("bar", None), p("bar", Some("2")), p("baz", Some("1"))],
        )];
        assert_eq!(format_header(&two), "foo; bar; bar=2; baz=1");
        let three = [
            ext("foo", vec![]),
            ext("foo", vec![p("baz", None)]),
            ext("bar", vec![p("baz", None)]),
        ];
        let text = format_header(&three);
        assert_eq!(text, "foo, foo; baz, bar; baz");
        assert_eq!(parse_header(text.as_bytes()).unwrap(), three);
        assert_eq!(three[1].to_string(), "foo; baz");
    }

    #[test]
    fn constructors_keep_the_grammar() {
        assert_eq!(
            Param::new("a b", None),
            Err(ExtensionHeaderError::InvalidToken)
        );
        assert_eq!(
            Param::new("a", Some("")),
            Err(ExtensionHeaderError::InvalidToken)
        );
        assert_eq!(
            Extension::new("x,y"),
            Err(ExtensionHeaderError::InvalidToken)
        );
        assert_eq!(Extension::new("x").unwrap().params(), &[]);
    }
}
