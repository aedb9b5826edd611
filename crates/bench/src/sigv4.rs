//! AWS Signature Version 4 for DynamoDB requests, so the load generator works against any
//! endpoint that checks signatures, DynamoDB itself included.
//!
//! Every request is `POST /` with the headers `content-type`, `host`, `x-amz-date`,
//! `x-amz-target` (and `x-amz-security-token` with temporary credentials), all of them signed.
//! The signing key depends only on the secret, the day and the region, so it is derived once a
//! day; each request then costs two SHA-256 digests and one HMAC.
//!
//! Reference: "Create a signed AWS API request" in the AWS IAM user guide.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The service name in DynamoDB's credential scope.
const SERVICE: &str = "dynamodb";

/// AWS credentials, as the SDKs read them from the environment.
#[derive(Clone)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    // The secret must not end up in logs or panic messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`;
    /// without them, dummy ones that local emulators accept.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(access_key_id), Some(secret_access_key)) => Credentials {
                access_key_id,
                secret_access_key,
                session_token: var("AWS_SESSION_TOKEN"),
            },
            _ => Credentials {
                access_key_id: "ferrodyn".into(),
                secret_access_key: "ferrodyn".into(),
                session_token: None,
            },
        }
    }
}

/// The region from `AWS_REGION` or `AWS_DEFAULT_REGION`, else `us-east-1`.
pub fn region_from_env() -> String {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| "us-east-1".into())
}

/// Signs DynamoDB requests for one set of credentials and one region.
#[derive(Debug, Clone)]
pub struct Signer {
    credentials: Credentials,
    region: String,
    /// The service name in the credential scope: always DynamoDB's, except in the tests that
    /// check AWS's published examples.
    service: &'static str,
    /// The day (`YYYYMMDD`) the cached key is for, and the key.
    key: Option<(String, [u8; 32])>,
}

/// The headers a signed request must carry.
#[derive(Debug, Clone)]
pub struct Signature {
    /// `X-Amz-Date`: `YYYYMMDDTHHMMSSZ`.
    pub amz_date: String,
    /// `Authorization`.
    pub authorization: String,
}

impl Signer {
    /// A signer for `credentials` in `region`.
    pub fn new(credentials: Credentials, region: String) -> Self {
        Signer {
            credentials,
            region,
            service: SERVICE,
            key: None,
        }
    }

    /// The session token to send as `X-Amz-Security-Token`, if any.
    pub fn session_token(&self) -> Option<&str> {
        self.credentials.session_token.as_deref()
    }

    /// Signs `POST /` to `host` (the `Host` header as sent, with the port if it is not the
    /// default) calling `target` (`DynamoDB_20120810.GetItem`) with `body`, at time `now`.
    pub fn sign(&mut self, now: SystemTime, host: &str, target: &str, body: &[u8]) -> Signature {
        let amz_date = amz_date(now);
        let mut headers = vec![
            ("content-type", "application/x-amz-json-1.0"),
            ("host", host),
            ("x-amz-date", amz_date.as_str()),
        ];
        let token = self.credentials.session_token.clone();
        if let Some(token) = token.as_deref() {
            headers.push(("x-amz-security-token", token));
        }
        headers.push(("x-amz-target", target));
        let canonical = canonical_request("POST", "/", "", &headers, &hex(&Sha256::digest(body)));
        let authorization = self.authorization(&amz_date, &headers, &canonical);
        Signature {
            amz_date,
            authorization,
        }
    }

    /// The `Authorization` header for a canonical request signed at `amz_date`, whose
    /// `headers` are lowercase, sorted, and the ones signed.
    fn authorization(
        &mut self,
        amz_date: &str,
        headers: &[(&str, &str)],
        canonical: &str,
    ) -> String {
        let day = &amz_date[..8];
        let scope = format!("{day}/{}/{}/aws4_request", self.region, self.service);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let key = self.signing_key(day);
        let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
        let signed: Vec<&str> = headers.iter().map(|&(name, _)| name).collect();
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            self.credentials.access_key_id,
            signed.join(";")
        )
    }

    fn signing_key(&mut self, day: &str) -> [u8; 32] {
        match &self.key {
            Some((cached_day, key)) if cached_day == day => *key,
            _ => {
                let secret = format!("AWS4{}", self.credentials.secret_access_key);
                let date_key = hmac(secret.as_bytes(), day.as_bytes());
                let region_key = hmac(&date_key, self.region.as_bytes());
                let service_key = hmac(&region_key, self.service.as_bytes());
                let key = hmac(&service_key, b"aws4_request");
                self.key = Some((day.to_owned(), key));
                key
            }
        }
    }
}

/// The canonical request: method, path, query, `name:value` lines of the lowercase sorted
/// headers, the signed header names, and the hex SHA-256 of the payload.
fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    payload_sha256: &str,
) -> String {
    debug_assert!(
        headers.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "headers unsorted"
    );
    let mut canonical = format!("{method}\n{path}\n{query}\n");
    for (name, value) in headers {
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(value.trim());
        canonical.push('\n');
    }
    canonical.push('\n');
    let signed: Vec<&str> = headers.iter().map(|&(name, _)| name).collect();
    canonical.push_str(&signed.join(";"));
    canonical.push('\n');
    canonical.push_str(payload_sha256);
    canonical
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Lowercase hexadecimal.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

/// `time` as ISO 8601 basic format in UTC (`20150830T123600Z`), as `X-Amz-Date` wants it.
pub fn amz_date(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    let of_day = seconds % 86_400;
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm,
/// "chrono-Compatible Low-Level Date Algorithms").
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn example_signer(service: &'static str) -> Signer {
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        Signer {
            service,
            ..Signer::new(credentials, "us-east-1".into())
        }
    }

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn amz_date_formats_utc_including_leap_days() {
        assert_eq!(amz_date(at(0)), "19700101T000000Z");
        // 2015-08-30 12:36:00 UTC, the date of AWS's signature test suite.
        assert_eq!(amz_date(at(1_440_938_160)), "20150830T123600Z");
        // 2024-02-29 23:59:59 UTC.
        assert_eq!(amz_date(at(1_709_251_199)), "20240229T235959Z");
        assert_eq!(amz_date(at(1_709_251_200)), "20240301T000000Z");
    }

    #[test]
    fn signs_the_get_vanilla_example_of_the_aws_test_suite() {
        let mut signer = example_signer("service");
        let headers = [
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ];
        let empty_payload = hex(&Sha256::digest(b""));
        let canonical = canonical_request("GET", "/", "", &headers, &empty_payload);
        let authorization = signer.authorization("20150830T123600Z", &headers, &canonical);
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn signs_a_dynamodb_request_as_botocore_does() {
        // Expected value computed independently with botocore's SigV4Auth for the same request.
        let mut signer = example_signer(SERVICE);
        let body = br#"{"TableName":"usertable","Key":{"pk":{"S":"user1"}}}"#;
        let signature = signer.sign(
            at(1_440_938_160),
            "127.0.0.1:8000",
            "DynamoDB_20120810.GetItem",
            body,
        );
        assert_eq!(signature.amz_date, "20150830T123600Z");
        assert_eq!(signature.authorization, BOTOCORE_GET_ITEM);
    }

    const BOTOCORE_GET_ITEM: &str = "AWS4-HMAC-SHA256 \
        Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, \
        SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
        Signature=2eee3edb4bf3a42b4ad027391448ea595f4fea0b149082f8d02b28f89a3ca10c";

    #[test]
    fn signing_key_is_cached_per_day_and_rederived_the_next() {
        let mut signer = example_signer(SERVICE);
        let first = signer.signing_key("20150830");
        assert_eq!(signer.signing_key("20150830"), first);
        assert_ne!(signer.signing_key("20150831"), first);
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let rendered = format!("{:?}", example_signer(SERVICE));
        assert!(!rendered.contains("EXAMPLEKEY"), "{rendered}");
    }
}
