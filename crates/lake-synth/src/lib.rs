//! A seeded generator of Prowler 5 OCSF scan files, for benchmarks and large-input tests.
//!
//! The output has the shape of real Prowler 5.46 `json-ocsf` files: one JSON array, each
//! finding pretty-printed with a 4-space indent, findings joined by `},{`, checks in order,
//! about 7 KB per finding with free-form resource metadata and compliance maps of 10 to 40
//! frameworks, a PASS/FAIL/MANUAL mix with some muted findings. The same seed gives the same
//! bytes on every machine.
//!
//! ```
//! let spec = lake_synth::ScanSpec::new(7, "111122223333", 50);
//! let mut out = Vec::new();
//! let n = lake_synth::write_scan(&spec, &mut out).unwrap();
//! assert_eq!(n, 50);
//! let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(parsed.as_array().unwrap().len(), 50);
//! ```

use std::io::{self, Write};

use serde_json::{json, Map, Value};

/// A small, fast, seeded PRNG (SplitMix64): stable across platforms and versions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One item of a slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
}

const SERVICES: [(&str, &str); 12] = [
    ("accessanalyzer", "AwsAccessAnalyzer"),
    ("cloudtrail", "AwsCloudTrailTrail"),
    ("cloudwatch", "AwsCloudWatchAlarm"),
    ("ec2", "AwsEc2Instance"),
    ("iam", "AwsIamUser"),
    ("kms", "AwsKmsKey"),
    ("lambda", "AwsLambdaFunction"),
    ("rds", "AwsRdsDbInstance"),
    ("s3", "AwsS3Bucket"),
    ("sns", "AwsSnsTopic"),
    ("sqs", "AwsSqsQueue"),
    ("vpc", "AwsEc2Vpc"),
];

const ASPECTS: [&str; 24] = [
    "encryption_enabled",
    "public_access_blocked",
    "logging_enabled",
    "mfa_enabled",
    "versioning_enabled",
    "rotation_enabled",
    "no_wildcard_policy",
    "backup_enabled",
    "multi_az",
    "deletion_protection",
    "imdsv2_enabled",
    "tls_enforced",
    "not_publicly_accessible",
    "least_privilege",
    "tags_present",
    "monitoring_enabled",
    "default_encryption",
    "access_logs_enabled",
    "kms_cmk_used",
    "secure_transport",
    "unused_credentials_disabled",
    "inline_policy_absent",
    "flow_logs_enabled",
    "retention_set",
];

const WORDS: [&str; 48] = [
    "the",
    "resource",
    "access",
    "policy",
    "configuration",
    "account",
    "encryption",
    "key",
    "bucket",
    "instance",
    "logging",
    "network",
    "security",
    "control",
    "data",
    "service",
    "enabled",
    "public",
    "private",
    "role",
    "user",
    "principal",
    "trail",
    "region",
    "monitoring",
    "alert",
    "compliance",
    "audit",
    "events",
    "storage",
    "should",
    "must",
    "ensure",
    "that",
    "is",
    "are",
    "not",
    "and",
    "or",
    "with",
    "without",
    "by",
    "for",
    "from",
    "to",
    "in",
    "of",
    "a",
];

const FRAMEWORKS: [&str; 40] = [
    "CIS-1.4",
    "CIS-1.5",
    "CIS-2.0",
    "CIS-3.0",
    "CIS-4.0",
    "AWS-Foundational-Security-Best-Practices",
    "AWS-Well-Architected-Framework-Security-Pillar",
    "NIST-800-53-Revision-4",
    "NIST-800-53-Revision-5",
    "NIST-800-171-Revision-2",
    "NIST-CSF-1.1",
    "NIST-CSF-2.0",
    "ISO27001-2013",
    "ISO27001-2022",
    "PCI-3.2.1",
    "PCI-4.0",
    "SOC2",
    "HIPAA",
    "GDPR",
    "FedRamp-Low-Revision-4",
    "FedRamp-Moderate-Revision-4",
    "FFIEC",
    "ENS-RD2022",
    "GxP-21-CFR-Part-11",
    "GxP-EU-Annex-11",
    "KISA-ISMS-P-2023",
    "KISA-ISMS-P-2023-korean",
    "MITRE-ATTACK",
    "RBI-Cyber-Security-Framework",
    "CISA",
    "C5-2025",
    "SecNumCloud-3.2",
    "CCC-v2025.10",
    "Prowler-ThreatScore",
    "AWS-Audit-Manager-Control-Tower-Guardrails",
    "AWS-Account-Security-Onboarding",
    "NIS2",
    "DORA",
    "ProwlerThreatScore-1.0",
    "ISMAP",
];

const REGIONS: [&str; 6] = [
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
];

fn sentence(rng: &mut Rng, min: usize, spread: u64) -> String {
    let words = min + rng.below(spread) as usize;
    let mut s = String::with_capacity(words * 8);
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let word: &&str = rng.pick(&WORDS);
        s.push_str(word);
    }
    s.push('.');
    s
}

/// One check of the generated catalogue.
#[derive(Debug, Clone)]
pub struct Check {
    /// Check id, `<service>_<aspect>`.
    pub id: String,
    service: &'static str,
    resource_type: &'static str,
    severity: (&'static str, i64),
    title: String,
    desc: String,
    risk: String,
    remediation: String,
    categories: Vec<&'static str>,
    compliance: Value,
}

/// The catalogue of checks: the same for every seed, sorted by id like Prowler's output.
pub fn catalogue() -> Vec<Check> {
    let mut rng = Rng::new(0xC4EC);
    let severities = [
        ("Critical", 5),
        ("High", 4),
        ("Medium", 3),
        ("Low", 2),
        ("Informational", 1),
    ];
    let mut checks = Vec::new();
    for (service, resource_type) in SERVICES {
        for aspect in ASPECTS {
            let id = format!("{service}_{aspect}");
            let mut compliance = Map::new();
            let n = 10 + rng.below(31) as usize;
            for fw in FRAMEWORKS.iter().take(n) {
                let reqs: Vec<Value> = (0..1 + rng.below(4))
                    .map(|_| Value::from(format!("{}.{}", 1 + rng.below(12), 1 + rng.below(20))))
                    .collect();
                compliance.insert((*fw).to_owned(), Value::Array(reqs));
            }
            checks.push(Check {
                title: format!("{} {}", service.to_uppercase(), aspect.replace('_', " ")),
                desc: sentence(&mut rng, 40, 60),
                risk: sentence(&mut rng, 30, 50),
                remediation: sentence(&mut rng, 30, 40),
                categories: (0..rng.below(3))
                    .map(|_| {
                        *rng.pick(&[
                            "logging",
                            "encryption",
                            "internet-exposed",
                            "forensics-ready",
                            "secrets",
                            "trustboundaries",
                        ])
                    })
                    .collect(),
                severity: *rng.pick(&severities),
                compliance: Value::Object(compliance),
                id,
                service,
                resource_type,
            });
        }
    }
    checks.sort_by(|a, b| a.id.cmp(&b.id));
    checks
}

/// What one account's scan file holds.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    /// Seed.
    pub seed: u64,
    /// Account id.
    pub account: String,
    /// Number of findings.
    pub findings: usize,
    /// `time_dt`, naive UTC.
    pub time_dt: String,
    /// Epoch seconds of `time_dt`.
    pub time: i64,
    /// Prowler scan id.
    pub scan_id: String,
}

impl ScanSpec {
    /// A scan of `findings` findings for `account` at 2026-05-18 02:00 UTC.
    pub fn new(seed: u64, account: &str, findings: usize) -> Self {
        let mut rng = Rng::new(seed);
        ScanSpec {
            seed,
            account: account.to_owned(),
            findings,
            time_dt: "2026-05-18T02:00:00.123456".into(),
            time: 1_779_069_600,
            scan_id: format!(
                "{}-{}-7{}-{}-{}",
                rng.hex(8),
                rng.hex(4),
                rng.hex(3),
                rng.hex(4),
                rng.hex(12)
            ),
        }
    }
}

fn finding(rng: &mut Rng, spec: &ScanSpec, check: &Check, index: usize) -> Value {
    let region = *rng.pick(&REGIONS);
    let name = format!("{}-{}-{}", check.service, rng.hex(6), index);
    let arn = format!("arn:aws:{}:{region}:{}:{name}", check.service, spec.account);
    let roll = rng.below(100);
    let status = if roll < 50 {
        "PASS"
    } else if roll < 96 {
        "FAIL"
    } else {
        "MANUAL"
    };
    let muted = rng.chance(0.02);
    let mut metadata = Map::new();
    for k in 0..(5 + rng.below(20)) {
        let v = match rng.below(4) {
            0 => Value::Null,
            1 => Value::Bool(rng.chance(0.5)),
            2 => Value::from(rng.below(100_000)),
            _ => Value::from(sentence(rng, 1, 8)),
        };
        metadata.insert(format!("{}_{k}", rng.pick(&WORDS)), v);
    }
    metadata.insert("arn".into(), Value::from(arn.clone()));
    metadata.insert("region".into(), Value::from(region));
    metadata.insert("tags".into(), json!([]));
    let labels: Vec<Value> = if rng.chance(0.3) {
        vec![Value::from(format!("Name:{name}")), Value::from("env:prod")]
    } else {
        vec![]
    };
    let detail = format!("{} {} {}", check.title, name, sentence(rng, 6, 10));
    json!({
        "message": detail,
        "metadata": {
            "event_code": check.id,
            "product": {"name": "Prowler", "uid": "prowler", "vendor_name": "Prowler", "version": "5.46.0"},
            "profiles": ["cloud", "datetime"],
            "tenant_uid": "",
            "version": "1.5.0"
        },
        "severity_id": check.severity.1,
        "severity": check.severity.0,
        "status": if muted { "Suppressed" } else { "New" },
        "status_code": status,
        "status_detail": detail,
        "status_id": if muted { 3 } else { 1 },
        "unmapped": {
            "related_url": "",
            "categories": check.categories,
            "depends_on": [],
            "related_to": [],
            "additional_urls": [format!("https://docs.aws.amazon.com/{}/latest/userguide/{}.html", check.service, check.id)],
            "notes": "",
            "compliance": check.compliance,
            "scan_id": spec.scan_id,
            "provider_uid": spec.account,
            "provider": "aws"
        },
        "activity_name": "Create",
        "activity_id": 1,
        "finding_info": {
            "analytic": {"category": check.service, "name": check.title, "type": "Rule", "type_id": 1, "uid": check.id},
            "created_time": spec.time,
            "created_time_dt": spec.time_dt,
            "desc": check.desc,
            "title": check.title,
            "types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "uid": format!("prowler-aws-{}-{}-{region}-{name}", check.id, spec.account)
        },
        "resources": [{
            "cloud_partition": "aws",
            "region": region,
            "data": {"details": "", "metadata": metadata},
            "group": {"name": check.service},
            "labels": labels,
            "name": name,
            "type": check.resource_type,
            "uid": arn
        }],
        "category_name": "Findings",
        "category_uid": 2,
        "class_name": "Detection Finding",
        "class_uid": 2004,
        "cloud": {
            "account": {"name": "", "type": "AWS Account", "type_id": 10, "uid": spec.account, "labels": []},
            "org": {"name": "", "ou_uid": "", "ou_name": "", "uid": ""},
            "provider": "aws",
            "region": region
        },
        "remediation": {
            "desc": check.remediation,
            "references": [format!("https://hub.prowler.com/check/{}", check.id)]
        },
        "risk_details": check.risk,
        "time": spec.time,
        "time_dt": spec.time_dt,
        "type_uid": 200401,
        "type_name": "Detection Finding: Create"
    })
}

/// Writes one scan file in Prowler's format; returns the number of findings written.
pub fn write_scan(spec: &ScanSpec, out: &mut impl Write) -> io::Result<usize> {
    let checks = catalogue();
    let mut rng = Rng::new(spec.seed);
    // Prowler writes check by check; findings per check vary a lot (a few checks dominate).
    let mut per_check = vec![0usize; checks.len()];
    for _ in 0..spec.findings {
        let i = if rng.chance(0.3) {
            rng.below(8) as usize * 37 % checks.len()
        } else {
            rng.below(checks.len() as u64) as usize
        };
        per_check[i] += 1;
    }
    out.write_all(b"[")?;
    let mut first = true;
    let mut index = 0;
    let mut buf = Vec::with_capacity(16 << 10);
    for (check, &n) in checks.iter().zip(&per_check) {
        for _ in 0..n {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            buf.clear();
            let value = finding(&mut rng, spec, check, index);
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
            serde::Serialize::serialize(&value, &mut ser).map_err(io::Error::other)?;
            out.write_all(&buf)?;
            index += 1;
        }
    }
    out.write_all(b"]")?;
    Ok(index)
}

/// Average bytes per generated finding, measured on a sample: for sizing files by MB.
pub fn bytes_per_finding() -> usize {
    let spec = ScanSpec::new(1, "000000000000", 200);
    let mut out = Vec::new();
    let n = write_scan(&spec, &mut out).unwrap_or(1).max(1);
    out.len() / n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let spec = ScanSpec::new(3, "1", 30);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_scan(&spec, &mut a).unwrap();
        write_scan(&spec, &mut b).unwrap();
        assert_eq!(a, b);
        let other = ScanSpec::new(4, "1", 30);
        let mut c = Vec::new();
        write_scan(&other, &mut c).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn findings_look_like_prowler_5() {
        let per = bytes_per_finding();
        assert!((5_000..10_000).contains(&per), "{per} bytes per finding");
        let mut out = Vec::new();
        write_scan(&ScanSpec::new(5, "1", 20), &mut out).unwrap();
        assert!(out.starts_with(b"[{\n    \"message\""));
        assert!(out.windows(3).any(|w| w == b"},{"));
    }
}
