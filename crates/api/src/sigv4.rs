//! AWS Signature Version 4: parsing the request's signature into an [`Authorization`].
//!
//! DynamoDB checks a request's signature in steps, and answers the first failure with its own
//! error type and message; [`Authorization::from_request`] reproduces those steps up to (not
//! including) the cryptographic check, which needs the secret key and is not done yet. A request
//! that passes carries a well-formed signature by some key, which is what DynamoDB Local accepts.
//!
//! The steps, in order:
//! 1. both an `Authorization` header and an `X-Amz-Algorithm` query parameter:
//!    InvalidSignatureException;
//! 2. neither, or a header not starting with `AWS4-`: MissingAuthenticationTokenException;
//! 3. a header component without `=`, then missing `Credential`, `Signature`, `SignedHeaders` or
//!    date header (all missing ones in one message): IncompleteSignatureException;
//! 4. an `X-Amz-Date` not in ISO-8601 basic format: IncompleteSignatureException;
//! 5. `host` not among the signed headers: InvalidSignatureException;
//! 6. an algorithm other than `AWS4-HMAC-SHA256`: IncompleteSignatureException;
//! 7. a credential without exactly five `/`-separated parts: IncompleteSignatureException;
//! 8. a scope for another service, terminator, or day than `X-Amz-Date`'s:
//!    InvalidSignatureException (all mismatches in one message).

use std::borrow::Cow;

use crate::error::{ApiError, ErrorKind};

/// The only signing algorithm DynamoDB accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The signature-related parts of an HTTP request, as the server received them.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedRequest<'a> {
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `X-Amz-Date` header (`20130609T095204Z`).
    pub x_amz_date: Option<&'a str>,
    /// The `Date` header (accepted in place of `X-Amz-Date`).
    pub date: Option<&'a str>,
    /// The raw query string, without the `?` (presigned requests carry the signature there).
    pub query: Option<&'a str>,
}

/// The credential scope: `AKID/20130609/us-east-1/dynamodb/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential<'a> {
    /// The access key id.
    pub access_key_id: Cow<'a, str>,
    /// The day of the signature, `YYYYMMDD`.
    pub date: Cow<'a, str>,
    /// The region the request was signed for.
    pub region: Cow<'a, str>,
    /// The signing name of the service (`dynamodb`).
    pub service: Cow<'a, str>,
    /// Always `aws4_request`.
    pub terminator: Cow<'a, str>,
}

/// A parsed, well-formed SigV4 signature. It borrows from the request where it can: every
/// request is checked, so a check that allocates nothing for an `Authorization` header matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The signing algorithm (always [`ALGORITHM`] once parsed).
    pub algorithm: Cow<'a, str>,
    /// Who signed, and for which day, region and service.
    pub credential: Credential<'a>,
    /// The signed header names as given: `;`-separated (see [`Authorization::signed_headers`]).
    signed_headers: Cow<'a, str>,
    /// The hex signature.
    pub signature: Cow<'a, str>,
    /// The request time the signature is for (`X-Amz-Date`), when given in ISO-8601 basic form.
    pub amz_date: Option<Cow<'a, str>>,
}

fn missing_token() -> ApiError {
    ApiError::new(
        ErrorKind::MissingAuthenticationToken,
        "Request is missing Authentication Token",
    )
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::IncompleteSignature, message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidSignature, message)
}

/// The part `range` of `text`, borrowed if `text` is.
fn slice<'a>(text: &Cow<'a, str>, range: std::ops::Range<usize>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(&text[range]),
        Cow::Owned(text) => Cow::Owned(text[range].to_owned()),
    }
}

impl<'a> Authorization<'a> {
    /// Checks the request's signature as far as DynamoDB does before verifying it (see the
    /// module documentation for the steps), returning the first failure as DynamoDB words it.
    pub fn from_request(request: &SignedRequest<'a>) -> Result<Authorization<'a>, ApiError> {
        let query = QueryParams::parse(request.query.unwrap_or(""));
        let query_signed = query.contains("X-Amz-Algorithm");
        match request.authorization {
            Some(_) if query_signed => Err(invalid(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as \
                 HTTP header.",
            )),
            Some(header) if header.trim_start().starts_with("AWS4-") => {
                Self::from_header(header, request)
            }
            Some(_) => Err(missing_token()),
            None if query_signed => Self::from_query(query),
            None => Err(missing_token()),
        }
    }

    /// The signed header names, trimmed, as given (DynamoDB compares them without regard to
    /// case).
    pub fn signed_headers(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';').map(str::trim)
    }

    fn from_header(
        header: &'a str,
        request: &SignedRequest<'a>,
    ) -> Result<Authorization<'a>, ApiError> {
        let mut tokens = header.split([',', ' ']).filter(|token| !token.is_empty());
        let algorithm = tokens.next().unwrap_or_default();
        let mut credential = None;
        let mut signature = None;
        let mut signed_headers = None;
        for token in tokens {
            let Some((key, value)) = token.split_once('=') else {
                return Err(incomplete(format!(
                    "'{token}' not a valid key=value pair (missing equal-sign) in Authorization \
                     header: '{header}'."
                )));
            };
            let slot = match key {
                "Credential" => &mut credential,
                "Signature" => &mut signature,
                "SignedHeaders" => &mut signed_headers,
                _ => continue,
            };
            *slot = Some(value).filter(|value| !value.is_empty());
        }
        let date_missing = request.x_amz_date.is_none() && request.date.is_none();
        let (Some(credential), Some(signature), Some(signed_headers), false) =
            (credential, signature, signed_headers, date_missing)
        else {
            let mut message = String::new();
            for (name, value) in [
                ("Credential", credential),
                ("Signature", signature),
                ("SignedHeaders", signed_headers),
            ] {
                if value.is_none() {
                    message.push_str(&format!(
                        "Authorization header requires '{name}' parameter. "
                    ));
                }
            }
            if date_missing {
                message.push_str(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a \
                     'Date' header. ",
                );
            }
            message.push_str("Authorization=");
            message.push_str(header);
            return Err(incomplete(message));
        };
        Self::check(
            Cow::Borrowed(algorithm),
            Cow::Borrowed(credential),
            Cow::Borrowed(signed_headers),
            Cow::Borrowed(signature),
            request.x_amz_date.map(Cow::Borrowed),
        )
    }

    fn from_query(query: QueryParams) -> Result<Authorization<'a>, ApiError> {
        let names = [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-SignedHeaders",
            "X-Amz-Date",
        ];
        let values = names.map(|name| query.get(name).filter(|value| !value.is_empty()));
        let mut message = String::new();
        for (name, value) in names.iter().zip(&values) {
            if value.is_none() {
                message.push_str(&format!(
                    "AWS query-string parameters must include '{name}'. "
                ));
            }
        }
        if !message.is_empty() {
            message.push_str("Re-examine the query-string parameters.");
            return Err(incomplete(message));
        }
        let [
            Some(algorithm),
            Some(credential),
            Some(signature),
            Some(signed_headers),
            Some(date),
        ] = values
        else {
            unreachable!("a missing parameter was reported above");
        };
        Self::check(
            Cow::Owned(algorithm),
            Cow::Owned(credential),
            Cow::Owned(signed_headers),
            Cow::Owned(signature),
            Some(Cow::Owned(date)),
        )
    }

    /// Steps 4 to 8 of the module documentation, common to header and query signatures.
    fn check(
        algorithm: Cow<'a, str>,
        credential: Cow<'a, str>,
        signed_headers: Cow<'a, str>,
        signature: Cow<'a, str>,
        amz_date: Option<Cow<'a, str>>,
    ) -> Result<Authorization<'a>, ApiError> {
        if let Some(date) = &amz_date
            && !is_iso8601_basic(date)
        {
            return Err(incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{date}'. See \
                     http://en.wikipedia.org/wiki/ISO_8601"
            )));
        }
        if !signed_headers
            .split(';')
            .any(|name| name.trim().eq_ignore_ascii_case("host"))
        {
            return Err(invalid(
                "'Host' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
        if algorithm != ALGORITHM {
            return Err(incomplete(format!(
                "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
            )));
        }
        // The five parts' byte ranges, found without collecting them.
        let scope = credential.trim_end_matches('/');
        let mut parts = [0..0, 0..0, 0..0, 0..0, 0..0];
        let mut count = 0;
        let mut start = 0;
        for piece in scope.split('/') {
            if count < parts.len() {
                parts[count] = start..start + piece.len();
            }
            count += 1;
            start += piece.len() + 1;
        }
        if count != parts.len() {
            return Err(incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term, got '{credential}'"
            )));
        }
        let [access_key_id, date, region, service, terminator] =
            parts.map(|range| slice(&credential, range));
        let mut message = String::new();
        if region.is_empty() {
            message.push_str(&format!(
                "Credential should be scoped to a valid region, not '{region}'. "
            ));
        }
        if service != "dynamodb" {
            message.push_str("Credential should be scoped to correct service: 'dynamodb'. ");
        }
        if terminator != "aws4_request" {
            message.push_str(&format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not \
                 '{terminator}'. "
            ));
        }
        if let Some(amz_date) = &amz_date {
            let day = &amz_date[..8];
            if date != day {
                message.push_str(&format!(
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of \
                     date from HTTP: '{date}' != '{day}', from '{amz_date}'."
                ));
            }
        }
        if !message.is_empty() {
            return Err(invalid(message.trim_end()));
        }
        Ok(Authorization {
            algorithm,
            credential: Credential {
                access_key_id,
                date,
                region,
                service,
                terminator,
            },
            signed_headers,
            signature,
            amz_date,
        })
    }
}

/// `YYYYMMDD'T'HHMMSS'Z'`, the only date form SigV4 signs.
fn is_iso8601_basic(date: &str) -> bool {
    let bytes = date.as_bytes();
    bytes.len() == 16
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[8] == b'T'
        && bytes[9..15].iter().all(u8::is_ascii_digit)
        && bytes[15] == b'Z'
}

/// The parameters of a query string, percent-decoded.
struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    fn parse(query: &str) -> QueryParams {
        let pairs = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(key), percent_decode(value))
            })
            .collect();
        QueryParams { pairs }
    }

    fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(key, _)| key == name)
    }

    fn get(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }
}

/// Decodes `%XX` escapes and `+` (a space in query strings); malformed escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130609/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=2f8a7b";

    fn header_request(authorization: &str) -> SignedRequest<'_> {
        SignedRequest {
            authorization: Some(authorization),
            x_amz_date: Some("20130609T095204Z"),
            ..SignedRequest::default()
        }
    }

    fn error(request: SignedRequest<'_>) -> (ErrorKind, String) {
        let error = Authorization::from_request(&request).unwrap_err();
        (error.kind, error.message)
    }

    #[test]
    fn parses_an_sdk_header() {
        let auth = Authorization::from_request(&header_request(HEADER)).unwrap();
        assert_eq!(auth.algorithm, ALGORITHM);
        assert_eq!(
            auth.credential,
            Credential {
                access_key_id: "AKIDEXAMPLE".into(),
                date: "20130609".into(),
                region: "us-east-1".into(),
                service: "dynamodb".into(),
                terminator: "aws4_request".into(),
            }
        );
        assert_eq!(
            auth.signed_headers().collect::<Vec<_>>(),
            ["content-type", "host", "x-amz-date", "x-amz-target"]
        );
        assert_eq!(auth.signature, "2f8a7b");
        assert_eq!(auth.amz_date.as_deref(), Some("20130609T095204Z"));
    }

    #[test]
    fn missing_or_foreign_header_is_missing_token() {
        let missing = (
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token".to_owned(),
        );
        assert_eq!(error(SignedRequest::default()), missing);
        assert_eq!(error(header_request("AWS4")), missing);
        assert_eq!(error(header_request("Basic abc")), missing);
        // A misspelt query parameter does not count as a presigned request.
        assert_eq!(
            error(SignedRequest {
                authorization: Some("X"),
                query: Some("X-Amz-Algorith"),
                ..SignedRequest::default()
            }),
            missing
        );
        // Every query parameter but the algorithm: still unsigned.
        assert_eq!(
            error(SignedRequest {
                query: Some(
                    "X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d"
                ),
                ..SignedRequest::default()
            }),
            missing
        );
    }

    #[test]
    fn header_and_query_signature_together_are_invalid() {
        assert_eq!(
            error(SignedRequest {
                authorization: Some("X"),
                query: Some("X-Amz-Algorithm"),
                ..SignedRequest::default()
            }),
            (
                ErrorKind::InvalidSignature,
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.".to_owned()
            )
        );
    }

    #[test]
    fn incomplete_header_lists_every_missing_part() {
        assert_eq!(
            error(SignedRequest { authorization: Some("AWS4-"), ..SignedRequest::default() }),
            (
                ErrorKind::IncompleteSignature,
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-".to_owned()
            )
        );
        for header in [
            "AWS4- Signature=b Credential=a",
            "AWS4- Signature=b,Credential=a",
            "AWS4- Signature=b, Credential=a",
        ] {
            let request = SignedRequest {
                authorization: Some(header),
                date: Some("a"),
                ..SignedRequest::default()
            };
            assert_eq!(
                error(request),
                (
                    ErrorKind::IncompleteSignature,
                    format!(
                        "Authorization header requires 'SignedHeaders' parameter. Authorization={header}"
                    )
                )
            );
        }
    }

    #[test]
    fn component_without_equals_sign_is_incomplete() {
        let header = "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders";
        assert_eq!(
            error(header_request(header)),
            (
                ErrorKind::IncompleteSignature,
                format!(
                    "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
                )
            )
        );
    }

    #[test]
    fn incomplete_query_lists_every_missing_parameter() {
        assert_eq!(
            error(SignedRequest { query: Some("X-Amz-Algorithm"), ..SignedRequest::default() }),
            (
                ErrorKind::IncompleteSignature,
                "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.".to_owned()
            )
        );
        assert_eq!(
            error(SignedRequest {
                query: Some("X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d"),
                ..SignedRequest::default()
            }),
            (
                ErrorKind::IncompleteSignature,
                "AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.".to_owned()
            )
        );
    }

    #[test]
    fn presigned_query_parses() {
        let auth = Authorization::from_request(&SignedRequest {
            query: Some(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20130609%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20130609T095204Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab12",
            ),
            ..SignedRequest::default()
        })
        .unwrap();
        assert_eq!(auth.credential.access_key_id, "AKID");
        assert_eq!(auth.credential.region, "us-east-1");
        assert_eq!(auth.signed_headers().collect::<Vec<_>>(), ["host"]);
    }

    #[test]
    fn bad_date_is_incomplete() {
        let request = SignedRequest {
            x_amz_date: Some("201"),
            ..header_request(HEADER)
        };
        assert_eq!(
            error(request),
            (
                ErrorKind::IncompleteSignature,
                "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601".to_owned()
            )
        );
    }

    #[test]
    fn host_must_be_signed() {
        let header = "AWS4-HMAC-SHA256 Credential=a/20130609/us-east-1/dynamodb/aws4_request, SignedHeaders=x-amz-date, Signature=b";
        assert_eq!(
            error(header_request(header)),
            (
                ErrorKind::InvalidSignature,
                "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned()
            )
        );
    }

    #[test]
    fn other_algorithms_are_incomplete() {
        let header = "AWS4-HMAC-SHA25 Credential=a/20130609/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=b";
        assert_eq!(
            error(header_request(header)),
            (
                ErrorKind::IncompleteSignature,
                "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "
                    .to_owned()
            )
        );
    }

    #[test]
    fn credential_needs_five_parts() {
        let header = "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=b";
        assert_eq!(
            error(header_request(header)),
            (
                ErrorKind::IncompleteSignature,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'".to_owned()
            )
        );
        // Trailing slashes are ignored.
        let header = "AWS4-HMAC-SHA256 Credential=a/20130609/us-east-1/dynamodb/aws4_request//, SignedHeaders=host, Signature=b";
        assert!(Authorization::from_request(&header_request(header)).is_ok());
    }

    #[test]
    fn scope_mismatches_are_invalid_and_listed_together() {
        let header = "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=b";
        assert_eq!(
            error(header_request(header)),
            (
                ErrorKind::InvalidSignature,
                "Credential should be scoped to correct service: 'dynamodb'. Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20130609', from '20130609T095204Z'.".to_owned()
            )
        );
    }

    #[test]
    fn date_header_alone_is_enough() {
        let request = SignedRequest {
            authorization: Some(HEADER),
            date: Some("Sun, 09 Jun 2013 09:52:04 GMT"),
            ..SignedRequest::default()
        };
        let auth = Authorization::from_request(&request).unwrap();
        assert_eq!(auth.amz_date, None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
