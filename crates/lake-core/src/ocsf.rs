//! The parts of a finding that lake reads, borrowed from the input: an OCSF Detection Finding
//! (2004) or Compliance Finding (2003), from Prowler or another producer, or an AWS Security
//! Finding Format (ASFF) finding. Both formats are read by the one struct [`RawFinding`]:
//! their field names never clash (ASFF's are PascalCase), so one pass over an element reads
//! whichever it is, and [`crate::source`] decides which it was.
//!
//! Prowler writes with `exclude_none` and its fields come and go between versions (OCSF 1.1 to
//! 1.5), so every field is optional and unknown fields are skipped. Leaf values are read
//! leniently: a string field that holds a number keeps its text, one that holds an object or
//! array reads as absent. Only a structurally wrong finding (not an object, invalid JSON or
//! UTF-8) fails to deserialize.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A leniently read text value: strings as they are, numbers and booleans as their text,
/// null, objects and arrays as absent.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The text, or `None` when absent or empty.
    pub fn non_empty(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }
}

struct TextVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(PhantomData))
    }
}

/// A leniently read integer: integers, integral floats and numeric strings; anything else absent.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Int(pub Option<i64>);

struct IntVisitor;

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Int;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
        Ok(Int(Some(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
        Ok(Int(i64::try_from(v).ok()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
        Ok(Int(
            (v.is_finite() && v.abs() < 9.0e15).then_some(v.trunc() as i64)
        ))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
        Ok(Int(v.trim().parse().ok()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Int, E> {
        Ok(Int(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Int, E> {
        Ok(Int(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Int, E> {
        Ok(Int(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Int, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Int(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Int, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Int(None))
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor)
    }
}

/// A leniently read list of texts: the non-null text items of an array; a lone string as a
/// list split at `" | "` (Prowler 4.x joined lists that way), an empty string as no items;
/// anything else empty.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TextList<'a>(pub Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for TextList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut items = Vec::new();
        de::DeserializeSeed::deserialize(AppendTexts(&mut items), d)?;
        Ok(TextList(items))
    }
}

/// A leniently read map of texts (ASFF `Tags`): the entries whose key and value read as
/// text, in file order; anything but an object is empty.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TextMap<'a>(pub Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>);

struct TextMapVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextMapVisitor<'a> {
    type Value = TextMap<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of strings")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Text(key)) = map.next_key::<Text<'a>>()? {
            let Text(value) = map.next_value::<Text<'a>>()?;
            if let Some(key) = key {
                out.push((key, value));
            }
        }
        Ok(TextMap(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TextMap::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(TextMap::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(TextMap::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(TextMap::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(TextMap::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TextMap::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(TextMap::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(TextMap::default())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for TextMap<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextMapVisitor(PhantomData))
    }
}

/// `unmapped.compliance`: framework name to requirement ids, in file order. Held flat (every
/// framework's ids in one list) so that a finding with 40 frameworks costs two allocations,
/// not 41.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Compliance<'a> {
    frameworks: Vec<(Cow<'a, str>, std::ops::Range<usize>)>,
    ids: Vec<Cow<'a, str>>,
}

impl<'a> Compliance<'a> {
    /// The frameworks with their requirement ids, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Cow<'a, str>])> {
        self.frameworks
            .iter()
            .map(|(name, ids)| (name.as_ref(), &self.ids[ids.clone()]))
    }
}

/// Reads a list of texts leniently, as [`TextList`] documents, appending the items to a list
/// that may be shared (the flat [`Compliance`]).
struct AppendTexts<'v, 'a>(&'v mut Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> de::DeserializeSeed<'de> for AppendTexts<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for AppendTexts<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(Text(item)) = seq.next_element::<Text<'a>>()? {
            self.0.extend(item);
        }
        Ok(())
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.0.extend(split_joined(v).map(Cow::Borrowed));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0
            .extend(split_joined(v).map(|s| Cow::Owned(s.to_owned())));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// The items of a list Prowler 4.x joined into one string with `" | "`.
fn split_joined(v: &str) -> impl Iterator<Item = &str> {
    v.split(" | ").map(str::trim).filter(|s| !s.is_empty())
}

struct ComplianceVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ComplianceVisitor<'a> {
    type Value = Compliance<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of framework to requirement ids")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Compliance::default();
        while let Some(Text(key)) = map.next_key::<Text<'a>>()? {
            let start = out.ids.len();
            map.next_value_seed(AppendTexts(&mut out.ids))?;
            match key {
                Some(key) => out.frameworks.push((key, start..out.ids.len())),
                None => out.ids.truncate(start),
            }
        }
        Ok(out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Compliance::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Compliance::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Compliance::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Compliance::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Compliance::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Compliance::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Compliance::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Compliance::default())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Compliance<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ComplianceVisitor(PhantomData))
    }
}

/// A nested object that may be missing, null, or (in a broken file) of another type.
#[derive(Debug, Default)]
pub struct Obj<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Objects deserialize as T; null as absent. Other shapes are an error of the finding,
        // which is what a non-object where an object belongs is.
        Option::<T>::deserialize(d).map(Obj)
    }
}

/// One Detection Finding as far as lake reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawFinding<'a> {
    /// OCSF class: 2004 Detection Finding, 2003 Compliance Finding.
    pub class_uid: Int,
    /// OCSF activity: 1 Create, 2 Update, 3 Close (a closed finding is no longer current).
    pub activity_id: Int,
    /// `metadata`.
    #[serde(borrow)]
    pub metadata: Obj<RawMetadata<'a>>,
    /// Severity name.
    #[serde(borrow)]
    pub severity: Text<'a>,
    /// Severity id.
    pub severity_id: Int,
    /// OCSF status name: New, Suppressed, ...
    #[serde(borrow)]
    pub status: Text<'a>,
    /// OCSF status id; 3 is Suppressed (muted).
    pub status_id: Int,
    /// PASS, FAIL or MANUAL.
    #[serde(borrow)]
    pub status_code: Text<'a>,
    /// Why the check passed or failed.
    #[serde(borrow)]
    pub status_detail: Text<'a>,
    /// Message, used when `status_detail` is missing.
    #[serde(borrow)]
    pub message: Text<'a>,
    /// Prowler-specific fields.
    #[serde(borrow)]
    pub unmapped: Obj<RawUnmapped<'a>>,
    /// `finding_info`.
    #[serde(borrow)]
    pub finding_info: Obj<RawFindingInfo<'a>>,
    /// `resources`.
    #[serde(borrow)]
    pub resources: Option<Vec<RawResource<'a>>>,
    /// `cloud` (absent for Kubernetes).
    #[serde(borrow)]
    pub cloud: Obj<RawCloud<'a>>,
    /// `remediation`.
    #[serde(borrow)]
    pub remediation: Obj<RawRemediation<'a>>,
    /// `risk_details`.
    #[serde(borrow)]
    pub risk_details: Text<'a>,
    /// Epoch seconds.
    pub time: Int,
    /// ISO 8601 time, usually without zone (UTC).
    #[serde(borrow)]
    pub time_dt: Text<'a>,
    /// Prowler 4.0-4.4 (OCSF 1.1-1.2): ISO time instead of `time` / `time_dt`.
    #[serde(borrow)]
    pub event_time: Text<'a>,
    /// `compliance` (OCSF Compliance Finding 2003; also on some Detection Findings).
    #[serde(borrow)]
    pub compliance: Obj<RawCompliance<'a>>,
    /// `resource`: the singular resource some producers write instead of `resources`.
    #[serde(borrow)]
    pub resource: Obj<RawResource<'a>>,
    /// `vulnerabilities` (Vulnerability Finding 2002: Inspector through Security Hub).
    #[serde(borrow)]
    pub vulnerabilities: Option<Vec<RawVulnerability<'a>>>,
    // ASFF (inline rather than `#[serde(flatten)]`, which buffers every field of every
    // finding).
    /// ASFF `SchemaVersion`.
    #[serde(rename = "SchemaVersion", borrow)]
    pub asff_schema_version: Text<'a>,
    /// ASFF `Id`: the finding's id (an ARN for Security Hub's own findings).
    #[serde(rename = "Id", borrow)]
    pub asff_id: Text<'a>,
    /// ASFF `ProductArn`: `arn:aws:securityhub:<region>::product/<company>/<product>`.
    #[serde(rename = "ProductArn", borrow)]
    pub asff_product_arn: Text<'a>,
    /// ASFF `ProductName`.
    #[serde(rename = "ProductName", borrow)]
    pub asff_product_name: Text<'a>,
    /// ASFF `CompanyName`.
    #[serde(rename = "CompanyName", borrow)]
    pub asff_company_name: Text<'a>,
    /// ASFF `GeneratorId`: the rule, control or check that produced the finding.
    #[serde(rename = "GeneratorId", borrow)]
    pub asff_generator_id: Text<'a>,
    /// ASFF `AwsAccountId`.
    #[serde(rename = "AwsAccountId", borrow)]
    pub asff_account_id: Text<'a>,
    /// ASFF `AwsAccountName`.
    #[serde(rename = "AwsAccountName", borrow)]
    pub asff_account_name: Text<'a>,
    /// ASFF `Region`.
    #[serde(rename = "Region", borrow)]
    pub asff_region: Text<'a>,
    /// ASFF `Types` (`namespace/category/classifier`).
    #[serde(rename = "Types", borrow)]
    pub asff_types: TextList<'a>,
    /// ASFF `CreatedAt` (ISO 8601).
    #[serde(rename = "CreatedAt", borrow)]
    pub asff_created_at: Text<'a>,
    /// ASFF `UpdatedAt` (ISO 8601).
    #[serde(rename = "UpdatedAt", borrow)]
    pub asff_updated_at: Text<'a>,
    /// ASFF `LastObservedAt` (ISO 8601).
    #[serde(rename = "LastObservedAt", borrow)]
    pub asff_last_observed_at: Text<'a>,
    /// ASFF `Severity`.
    #[serde(rename = "Severity", borrow)]
    pub asff_severity: Obj<AsffSeverity<'a>>,
    /// ASFF `Title`.
    #[serde(rename = "Title", borrow)]
    pub asff_title: Text<'a>,
    /// ASFF `Description`.
    #[serde(rename = "Description", borrow)]
    pub asff_description: Text<'a>,
    /// ASFF `Remediation`.
    #[serde(rename = "Remediation", borrow)]
    pub asff_remediation: Obj<AsffRemediation<'a>>,
    /// ASFF `ProductFields` (the keys lake reads).
    #[serde(rename = "ProductFields", borrow)]
    pub asff_product_fields: Obj<AsffProductFields<'a>>,
    /// ASFF `Resources`.
    #[serde(rename = "Resources", borrow)]
    pub asff_resources: Option<Vec<AsffResource<'a>>>,
    /// ASFF `Compliance`.
    #[serde(rename = "Compliance", borrow)]
    pub asff_compliance: Obj<AsffCompliance<'a>>,
    /// ASFF `Workflow`.
    #[serde(rename = "Workflow", borrow)]
    pub asff_workflow: Obj<AsffWorkflow<'a>>,
    /// ASFF `WorkflowState` (deprecated form of `Workflow.Status`).
    #[serde(rename = "WorkflowState", borrow)]
    pub asff_workflow_state: Text<'a>,
    /// ASFF `RecordState`: ACTIVE or ARCHIVED.
    #[serde(rename = "RecordState", borrow)]
    pub asff_record_state: Text<'a>,
}

/// One element of OCSF `vulnerabilities`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawVulnerability<'a> {
    /// `cve`: its `uid` is the CVE id.
    #[serde(borrow)]
    pub cve: Obj<RawNamed<'a>>,
}

/// OCSF `compliance`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawCompliance<'a> {
    /// The control checked (Security Hub: the security control id, e.g. `S3.8`).
    #[serde(borrow)]
    pub control: Text<'a>,
    /// Pass, Warning, Fail, Unknown, Other.
    #[serde(borrow)]
    pub status: Text<'a>,
    /// 1 Pass, 2 Warning, 3 Fail, 0 Unknown, 99 Other.
    pub status_id: Int,
    /// Standards the control belongs to.
    #[serde(borrow)]
    pub standards: TextList<'a>,
    /// Requirements the control maps to.
    #[serde(borrow)]
    pub requirements: TextList<'a>,
}

/// ASFF `Severity`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AsffSeverity<'a> {
    /// INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL.
    #[serde(rename = "Label", borrow)]
    pub label: Text<'a>,
    /// 0-100 (deprecated, read when `Label` is missing).
    #[serde(rename = "Normalized")]
    pub normalized: Int,
}

/// ASFF `Remediation`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AsffRemediation<'a> {
    /// `Recommendation`.
    #[serde(rename = "Recommendation", borrow)]
    pub recommendation: Obj<AsffRecommendation<'a>>,
}

/// ASFF `Remediation.Recommendation`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AsffRecommendation<'a> {
    /// What to do.
    #[serde(rename = "Text", borrow)]
    pub text: Text<'a>,
    /// Where to read more.
    #[serde(rename = "Url", borrow)]
    pub url: Text<'a>,
}

/// The keys of ASFF `ProductFields` that lake reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AsffProductFields<'a> {
    /// Security Hub (legacy standards): the control id.
    #[serde(rename = "ControlId", borrow)]
    pub control_id: Text<'a>,
    /// Security Hub (CIS 1.2 standard): the rule id.
    #[serde(rename = "RuleId", borrow)]
    pub rule_id: Text<'a>,
    /// Security Hub (legacy standards): the standard's ARN.
    #[serde(rename = "StandardsArn", borrow)]
    pub standards_arn: Text<'a>,
    /// Security Hub (CIS 1.2): the standard's ARN.
    #[serde(rename = "StandardsGuideArn", borrow)]
    pub standards_guide_arn: Text<'a>,
    /// The product's name as Security Hub records it.
    #[serde(rename = "aws/securityhub/ProductName", borrow)]
    pub product_name: Text<'a>,
    /// Prowler's ASFF output: its version.
    #[serde(rename = "ProviderVersion", borrow)]
    pub provider_version: Text<'a>,
    /// Prowler's ASFF output: the resource's name.
    #[serde(rename = "ProwlerResourceName", borrow)]
    pub prowler_resource_name: Text<'a>,
}

/// One ASFF `Resources` element.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AsffResource<'a> {
    /// Resource type, e.g. `AwsS3Bucket`.
    #[serde(rename = "Type", borrow)]
    pub kind: Text<'a>,
    /// Resource id (an ARN for most types).
    #[serde(rename = "Id", borrow)]
    pub id: Text<'a>,
    /// Region.
    #[serde(rename = "Region", borrow)]
    pub region: Text<'a>,
    /// Tags.
    #[serde(rename = "Tags", borrow)]
    pub tags: TextMap<'a>,
}

/// ASFF `Compliance`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AsffCompliance<'a> {
    /// PASSED, WARNING, FAILED, NOT_AVAILABLE.
    #[serde(rename = "Status", borrow)]
    pub status: Text<'a>,
    /// The security control (consolidated control findings), e.g. `S3.8`.
    #[serde(rename = "SecurityControlId", borrow)]
    pub security_control_id: Text<'a>,
    /// Requirements the control maps to, e.g. `NIST.800-53.r5 AC-3`.
    #[serde(rename = "RelatedRequirements", borrow)]
    pub related_requirements: TextList<'a>,
    /// The standards the control is enabled in.
    #[serde(rename = "AssociatedStandards", borrow)]
    pub associated_standards: Option<Vec<AsffStandard<'a>>>,
}

/// One element of ASFF `Compliance.AssociatedStandards`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AsffStandard<'a> {
    /// e.g. `standards/aws-foundational-security-best-practices/v/1.0.0`.
    #[serde(rename = "StandardsId", borrow)]
    pub standards_id: Text<'a>,
}

/// ASFF `Workflow`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AsffWorkflow<'a> {
    /// NEW, NOTIFIED, SUPPRESSED, RESOLVED.
    #[serde(rename = "Status", borrow)]
    pub status: Text<'a>,
}

/// `metadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawMetadata<'a> {
    /// The Prowler check id.
    #[serde(borrow)]
    pub event_code: Text<'a>,
    /// OCSF version.
    #[serde(borrow)]
    pub version: Text<'a>,
    /// Product (Prowler) with its version.
    #[serde(borrow)]
    pub product: Obj<RawProduct<'a>>,
}

/// `metadata.product`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawProduct<'a> {
    /// Product version.
    #[serde(borrow)]
    pub version: Text<'a>,
    /// Product name: `Prowler`, `Security Hub`, `ElectricEye`, ...
    #[serde(borrow)]
    pub name: Text<'a>,
    /// Product uid.
    #[serde(borrow)]
    pub uid: Text<'a>,
    /// Vendor name.
    #[serde(borrow)]
    pub vendor_name: Text<'a>,
}

/// `unmapped`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawUnmapped<'a> {
    /// Check categories.
    #[serde(borrow)]
    pub categories: TextList<'a>,
    /// Compliance frameworks.
    #[serde(borrow)]
    pub compliance: Compliance<'a>,
    /// Prowler scan id (5.x).
    #[serde(borrow)]
    pub scan_id: Text<'a>,
    /// Provider name (5.x).
    #[serde(borrow)]
    pub provider: Text<'a>,
    /// Provider account uid (5.x).
    #[serde(borrow)]
    pub provider_uid: Text<'a>,
    /// Further reading.
    #[serde(borrow)]
    pub additional_urls: TextList<'a>,
}

/// `finding_info`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawFindingInfo<'a> {
    /// Prowler's finding uid.
    #[serde(borrow)]
    pub uid: Text<'a>,
    /// Check title.
    #[serde(borrow)]
    pub title: Text<'a>,
    /// Check description.
    #[serde(borrow)]
    pub desc: Text<'a>,
    /// Check types.
    #[serde(borrow)]
    pub types: TextList<'a>,
    /// Creation time: epoch seconds (Prowler 4.5+) or an ISO string (4.0-4.4).
    #[serde(borrow)]
    pub created_time: Text<'a>,
    /// Creation time, ISO.
    #[serde(borrow)]
    pub created_time_dt: Text<'a>,
    /// `analytic`: the rule that produced the finding.
    #[serde(borrow)]
    pub analytic: Obj<RawNamed<'a>>,
}

/// One element of `resources`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawResource<'a> {
    /// Resource uid (ARN, Azure resource id, ...).
    #[serde(borrow)]
    pub uid: Text<'a>,
    /// Resource name.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// Resource type.
    #[serde(rename = "type", borrow)]
    pub kind: Text<'a>,
    /// Region or location.
    #[serde(borrow)]
    pub region: Text<'a>,
    /// Kubernetes namespace.
    #[serde(borrow)]
    pub namespace: Text<'a>,
    /// `group.name`: the service.
    #[serde(borrow)]
    pub group: Obj<RawGroup<'a>>,
    /// Tags as `key:value` strings.
    #[serde(borrow)]
    pub labels: TextList<'a>,
    /// Tags as OCSF key-value objects (`[{"name": k, "value": v}]`, OCSF 1.4+).
    #[serde(borrow)]
    pub tags: Option<Vec<RawTag<'a>>>,
}

/// An OCSF `key_value_object` tag.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawTag<'a> {
    /// Key.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// Value.
    #[serde(borrow)]
    pub value: Text<'a>,
}

/// `resources[].group`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawGroup<'a> {
    /// Service name.
    #[serde(borrow)]
    pub name: Text<'a>,
}

/// `cloud`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawCloud<'a> {
    /// `cloud.account`.
    #[serde(borrow)]
    pub account: Obj<RawNamed<'a>>,
    /// `cloud.org`.
    #[serde(borrow)]
    pub org: Obj<RawNamed<'a>>,
    /// Provider name.
    #[serde(borrow)]
    pub provider: Text<'a>,
    /// Region.
    #[serde(borrow)]
    pub region: Text<'a>,
}

/// An object with `uid` and `name`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawNamed<'a> {
    /// Id.
    #[serde(borrow)]
    pub uid: Text<'a>,
    /// Display name.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// `cloud.account.labels`: the account's tags, `key:value` (Prowler, from AWS
    /// Organizations).
    #[serde(borrow)]
    pub labels: TextList<'a>,
    /// `cloud.org.ou_uid`: the organizational unit.
    #[serde(borrow)]
    pub ou_uid: Text<'a>,
    /// `cloud.org.ou_name`.
    #[serde(borrow)]
    pub ou_name: Text<'a>,
}

/// `remediation`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawRemediation<'a> {
    /// What to do.
    #[serde(borrow)]
    pub desc: Text<'a>,
    /// Links.
    #[serde(borrow)]
    pub references: TextList<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_values_are_read_leniently() {
        let f: RawFinding = serde_json::from_str(
            r#"{"severity": 3, "status_code": ["x"], "time": "1772421307",
                "unmapped": {"categories": "logging", "compliance": {"CIS": ["1.1", null, 2]}},
                "finding_info": {"uid": "u", "extra": {"deep": [1, 2]}}}"#,
        )
        .unwrap();
        assert_eq!(f.severity.0.as_deref(), Some("3"));
        assert_eq!(f.status_code.0, None);
        assert_eq!(f.time.0, Some(1772421307));
        let u = f.unmapped.0.unwrap();
        assert_eq!(u.categories.0, vec!["logging"]);
        let (framework, ids) = u.compliance.iter().next().unwrap();
        assert_eq!((framework, ids), ("CIS", &["1.1".into(), "2".into()][..]));
        let f: RawFinding =
            serde_json::from_str(r#"{"unmapped": {"categories": "a | b", "additional_urls": ""}}"#)
                .unwrap();
        let u = f.unmapped.0.unwrap();
        assert_eq!(
            (u.categories.0, u.additional_urls.0.len()),
            (vec!["a".into(), "b".into()], 0)
        );
    }

    #[test]
    fn escaped_strings_are_unescaped() {
        let f: RawFinding = serde_json::from_str(r#"{"risk_details": "a\nb \u00e9"}"#).unwrap();
        assert_eq!(f.risk_details.0.as_deref(), Some("a\nb é"));
    }
}
