//! The weekly report by email: Amazon SES's v2 `SendEmail`, optionally in a sender account
//! reached by assuming a role (STS `AssumeRole`), for senders outside the SES sandbox.
//!
//! Requests are signed with SigV4 (`aws-sigv4`, the AWS SDK's own signer) and sent with
//! reqwest (already in the tree through object_store): two calls do not warrant the SDK's
//! runtime. Credentials are the function's (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, set by Lambda); endpoints follow the SDKs' variables
//! (`AWS_ENDPOINT_URL_SES`, `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`).

use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde::{Deserialize, Serialize};

/// Where the report goes: `LAKE_REPORT_TO`, `LAKE_REPORT_FROM`, `LAKE_SES_ROLE_ARN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailConfig {
    /// Recipients (`LAKE_REPORT_TO`, comma-separated).
    pub to: Vec<String>,
    /// The sender, an SES-verified identity (`LAKE_REPORT_FROM`).
    pub from: String,
    /// A role to assume to send (`LAKE_SES_ROLE_ARN`): SES in another account.
    pub role_arn: Option<String>,
    /// The SES region (`LAKE_SES_REGION`, else `AWS_REGION`).
    pub region: String,
}

impl EmailConfig {
    /// The email configuration, if `LAKE_REPORT_TO` asks for one.
    pub fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let set = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(to) = set("LAKE_REPORT_TO") else {
            if set("LAKE_REPORT_FROM").is_some() || set("LAKE_SES_ROLE_ARN").is_some() {
                bail!("LAKE_REPORT_FROM or LAKE_SES_ROLE_ARN is set but LAKE_REPORT_TO is not");
            }
            return Ok(None);
        };
        let to: Vec<String> = to
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        for address in &to {
            check_address("LAKE_REPORT_TO", address)?;
        }
        let from = set("LAKE_REPORT_FROM").context(
            "LAKE_REPORT_TO is set but LAKE_REPORT_FROM (an SES-verified sender) is not",
        )?;
        check_address("LAKE_REPORT_FROM", &from)?;
        let role_arn = set("LAKE_SES_ROLE_ARN");
        if let Some(arn) = &role_arn {
            if !(arn.starts_with("arn:aws") && arn.contains(":iam::") && arn.contains(":role/")) {
                bail!("LAKE_SES_ROLE_ARN={arn} is not an IAM role ARN");
            }
        }
        let region = set("LAKE_SES_REGION")
            .or_else(|| set("AWS_REGION"))
            .or_else(|| set("AWS_DEFAULT_REGION"))
            .context("no SES region: set LAKE_SES_REGION or AWS_REGION")?;
        Ok(Some(EmailConfig {
            to,
            from,
            role_arn,
            region,
        }))
    }
}

/// A plausible address: one `@`, something on each side, no spaces or angle brackets.
fn check_address(var: &str, a: &str) -> Result<()> {
    let ok = a.split('@').count() == 2
        && !a.starts_with('@')
        && !a.ends_with('@')
        && !a.contains(|c: char| c.is_whitespace() || c == '<' || c == '>');
    if !ok {
        bail!("{var}: \"{a}\" is not an email address");
    }
    Ok(())
}

/// AWS credentials.
#[derive(Clone)]
struct Keys {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Keys {
    fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Self> {
        Ok(Keys {
            access_key_id: var("AWS_ACCESS_KEY_ID").context("AWS_ACCESS_KEY_ID is not set")?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY")
                .context("AWS_SECRET_ACCESS_KEY is not set")?,
            session_token: var("AWS_SESSION_TOKEN").filter(|t| !t.is_empty()),
        })
    }
}

/// The endpoint of `service` (`ses`, `sts`) in `region`.
fn endpoint(var: &impl Fn(&str) -> Option<String>, service: &str, region: &str) -> String {
    let specific = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
    if let Some(url) = var(&specific).or_else(|| var("AWS_ENDPOINT_URL")) {
        return url.trim_end_matches('/').to_owned();
    }
    match service {
        "ses" => format!("https://email.{region}.amazonaws.com"),
        _ => format!("https://{service}.{region}.amazonaws.com"),
    }
}

/// A signed POST of `body` to `url` for `service`.
async fn post(
    client: &reqwest::Client,
    keys: &Keys,
    region: &str,
    service: &str,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(reqwest::StatusCode, String)> {
    let identity = Credentials::new(
        &keys.access_key_id,
        &keys.secret_access_key,
        keys.session_token.clone(),
        None,
        "lake",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .context("SigV4 signing parameters")?
        .into();
    let headers = [("content-type", content_type)];
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().copied(),
        SignableBody::Bytes(&body),
    )
    .context("signing the request")?;
    let (instructions, _) = sign(signable, &params)
        .context("signing the request")?
        .into_parts();
    let mut request = client
        .post(url)
        .header("content-type", content_type)
        .body(body);
    for (name, value) in instructions.headers() {
        request = request.header(name, value);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("{service}: POST {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    Ok((status, text))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResponse {
    assume_role_result: AssumeRoleResult,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResult {
    credentials: RoleCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
}

/// The credentials of `role_arn`, assumed for 15 minutes.
async fn assume_role(
    client: &reqwest::Client,
    var: &impl Fn(&str) -> Option<String>,
    keys: &Keys,
    region: &str,
    role_arn: &str,
) -> Result<Keys> {
    let url = format!("{}/", endpoint(var, "sts", region));
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "AssumeRole")
        .append_pair("Version", "2011-06-15")
        .append_pair("RoleArn", role_arn)
        .append_pair("RoleSessionName", "lake-report")
        .append_pair("DurationSeconds", "900")
        .finish();
    let (status, text) = post(
        client,
        keys,
        region,
        "sts",
        &url,
        "application/x-www-form-urlencoded; charset=utf-8",
        body.into_bytes(),
    )
    .await?;
    if !status.is_success() {
        bail!("STS AssumeRole {role_arn}: HTTP {status}: {}", text.trim());
    }
    let parsed: AssumeRoleResponse = quick_xml::de::from_str(&text)
        .with_context(|| format!("STS AssumeRole {role_arn}: unexpected answer"))?;
    let c = parsed.assume_role_result.credentials;
    Ok(Keys {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: Some(c.session_token),
    })
}

/// What was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// SES's message id.
    pub message_id: String,
    /// The recipients.
    pub to: Vec<String>,
    /// The role assumed to send, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// SHA-256 of the HTML report sent (hex): the same report is not sent twice.
    pub report_sha256: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendEmailRequest<'a> {
    from_email_address: &'a str,
    destination: Destination<'a>,
    content: Content<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Destination<'a> {
    to_addresses: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Content<'a> {
    simple: Simple<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Simple<'a> {
    subject: Text<'a>,
    body: Body<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Body<'a> {
    text: Text<'a>,
    html: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Text<'a> {
    data: &'a str,
    charset: &'static str,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendEmailResponse {
    message_id: String,
}

/// A report to send.
pub struct Message<'a> {
    /// Subject line.
    pub subject: &'a str,
    /// The Markdown report (the plain-text part).
    pub text: &'a str,
    /// The HTML report.
    pub html: &'a str,
    /// SHA-256 of `html`, hex.
    pub sha256: String,
}

/// Sends `message` as `config` says, with the credentials and endpoints of `var`.
pub async fn send(
    config: &EmailConfig,
    var: &impl Fn(&str) -> Option<String>,
    message: &Message<'_>,
) -> Result<Sent> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("HTTP client")?;
    let mut keys = Keys::from_vars(var)?;
    if let Some(arn) = &config.role_arn {
        keys = assume_role(&client, var, &keys, &config.region, arn).await?;
    }
    let request = SendEmailRequest {
        from_email_address: &config.from,
        destination: Destination {
            to_addresses: &config.to,
        },
        content: Content {
            simple: Simple {
                subject: Text {
                    data: message.subject,
                    charset: "UTF-8",
                },
                body: Body {
                    text: Text {
                        data: message.text,
                        charset: "UTF-8",
                    },
                    html: Text {
                        data: message.html,
                        charset: "UTF-8",
                    },
                },
            },
        },
    };
    let url = format!(
        "{}/v2/email/outbound-emails",
        endpoint(var, "ses", &config.region)
    );
    let (status, text) = post(
        &client,
        &keys,
        &config.region,
        "ses",
        &url,
        "application/json",
        serde_json::to_vec(&request)?,
    )
    .await?;
    if !status.is_success() {
        bail!(
            "SES SendEmail from {}: HTTP {status}: {}",
            config.from,
            text.trim()
        );
    }
    let sent: SendEmailResponse =
        serde_json::from_str(&text).context("SES SendEmail: unexpected answer")?;
    Ok(Sent {
        message_id: sent.message_id,
        to: config.to.clone(),
        role_arn: config.role_arn.clone(),
        report_sha256: message.sha256.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Option<EmailConfig>> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        EmailConfig::from_vars(&|name: &str| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn email_is_off_unless_recipients_are_set() {
        assert_eq!(config(&[("AWS_REGION", "eu-west-1")]).unwrap(), None);
    }

    #[test]
    fn a_complete_configuration_is_read() {
        let c = config(&[
            ("LAKE_REPORT_TO", "ciso@example.com, secops@example.com"),
            ("LAKE_REPORT_FROM", "lake@example.com"),
            (
                "LAKE_SES_ROLE_ARN",
                "arn:aws:iam::123456789012:role/ses-sender",
            ),
            ("AWS_REGION", "eu-west-1"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.to, ["ciso@example.com", "secops@example.com"]);
        assert_eq!(c.region, "eu-west-1");
    }

    #[test]
    fn a_half_configuration_is_an_error_that_names_the_variable() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (
                &[("LAKE_REPORT_TO", "a@example.com"), ("AWS_REGION", "x")],
                "LAKE_REPORT_FROM",
            ),
            (
                &[("LAKE_REPORT_FROM", "a@example.com")],
                "LAKE_REPORT_TO is not",
            ),
            (
                &[
                    ("LAKE_REPORT_TO", "not-an-address"),
                    ("LAKE_REPORT_FROM", "a@example.com"),
                ],
                "not an email address",
            ),
            (
                &[
                    ("LAKE_REPORT_TO", "a@example.com"),
                    ("LAKE_REPORT_FROM", "b@example.com"),
                    ("LAKE_SES_ROLE_ARN", "ses-sender"),
                    ("AWS_REGION", "x"),
                ],
                "not an IAM role ARN",
            ),
            (
                &[
                    ("LAKE_REPORT_TO", "a@example.com"),
                    ("LAKE_REPORT_FROM", "b@example.com"),
                ],
                "no SES region",
            ),
        ];
        for (vars, message) in cases {
            let e = config(vars).expect_err("must be rejected").to_string();
            assert!(e.contains(message), "{vars:?}: {e}");
        }
    }
}
