//! Business context: who owns an account, which landing zone and environment it belongs to,
//! and what a resource holds or how it is reached. Read from a YAML file (`lake context set`)
//! and validated here, every problem reported with its line and column; stored as three small
//! tables (`context_versions`, `context_accounts`, `context_rules`, see `schema.rs`) that the
//! risk views of `queries/context.sql` join with the findings.
//!
//! ```yaml
//! defaults:
//!   sla_days: {critical: 7, high: 30, medium: 90, low: 180}
//! landing_zones:
//!   - id: payments
//!     name: Payments
//!     owner: team-payments
//!     regions: [eu-west-1]
//!     sla_days: {critical: 3}
//! accounts:
//!   - id: "111111111111"
//!     landing_zone: payments
//!     environment: prod
//! resources:
//!   - match: {tag: {key: data-class, value: pii}}
//!     data_class: pii
//! ```
//!
//! Scalars are read as the text written: an unquoted account id such as `012345678901`
//! keeps its leading zero (a YAML loader that types it first would make it a number).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int32Builder, Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondArray,
};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::schema;
use crate::IsoWeek;

/// The severities an SLA is given for, as the context file spells them, in the order of the
/// columns `sla_critical` .. `sla_informational`.
pub const SLA_SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

/// The built-in remediation SLA in days (critical, high, medium, low, informational), used
/// when neither the account's landing zone nor the file's `defaults` give one.
pub const DEFAULT_SLA_DAYS: [Option<u32>; 5] = [Some(7), Some(30), Some(90), Some(180), None];

/// Environments, from most to least sensitive.
pub const ENVIRONMENTS: [&str; 4] = ["prod", "staging", "dev", "sandbox"];

/// How a resource is reached.
pub const EXPOSURES: [&str; 2] = ["public", "internal"];

/// What a resource holds, from most to least sensitive.
pub const DATA_CLASSES: [&str; 5] = ["pii", "restricted", "confidential", "internal", "public"];

/// Remediation SLA in days per severity (`None`: no SLA for that severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sla(pub [Option<u32>; 5]);

impl Sla {
    /// `self`, with `fallback`'s days where `self` has none.
    pub fn or(self, fallback: Sla) -> Sla {
        let mut out = self.0;
        for (o, f) in out.iter_mut().zip(fallback.0) {
            *o = o.or(f);
        }
        Sla(out)
    }
}

/// A landing zone: a group of accounts with one owner, region scope and SLA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandingZone {
    /// Its id, referenced by accounts.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Owner team, the default owner of its accounts.
    pub owner: Option<String>,
    /// The regions its accounts are meant to use (empty: any).
    pub regions: Vec<String>,
    /// Its SLA (days per severity), before the file's defaults.
    pub sla: Sla,
    /// Line in the file.
    pub line: usize,
}

/// What the file says of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountContext {
    /// Account, subscription, project or cluster id, as in `findings.account_uid`.
    pub uid: String,
    /// Display name (else the name the findings carry).
    pub name: Option<String>,
    /// Landing zone id.
    pub landing_zone: Option<String>,
    /// One of [`ENVIRONMENTS`].
    pub environment: Option<String>,
    /// Owner team (else the landing zone's).
    pub owner: Option<String>,
    /// Business unit.
    pub business_unit: Option<String>,
    /// Line in the file.
    pub line: usize,
}

/// A resource rule: which resources it matches (every condition given must hold) and what it
/// says of them. Patterns are globs (`*` any text, `?` one character), case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rule {
    /// Tag key (exact) the first resource must carry.
    pub tag_key: Option<String>,
    /// Glob its value must match (with `tag_key`).
    pub tag_value: Option<String>,
    /// Glob over the resource name.
    pub name: Option<String>,
    /// Glob over the resource uid (the ARN on AWS).
    pub uid: Option<String>,
    /// Glob over the resource type (`AwsS3Bucket`).
    pub resource_type: Option<String>,
    /// Account id (exact).
    pub account: Option<String>,
    /// Glob over the check id.
    pub check: Option<String>,
    /// One of [`EXPOSURES`].
    pub exposure: Option<String>,
    /// One of [`DATA_CLASSES`].
    pub data_class: Option<String>,
    /// What mitigates the finding (free text).
    pub compensating_control: Option<String>,
    /// Owner team of the matched resources.
    pub owner: Option<String>,
    /// Tag key whose value names the owner (`Owner`, `team`).
    pub owner_tag: Option<String>,
    /// Line in the file.
    pub line: usize,
}

/// A validated context file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// The file's default SLA (before the built-in one).
    pub defaults: Sla,
    /// Landing zones, in file order.
    pub landing_zones: Vec<LandingZone>,
    /// Accounts, in file order.
    pub accounts: Vec<AccountContext>,
    /// Resource rules, in file order (the first rule that says something wins).
    pub rules: Vec<Rule>,
}

/// One problem of a context file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError {
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// Every problem of a context file, each with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextErrors(pub Vec<ContextError>);

impl fmt::Display for ContextErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContextErrors {}

// ---------------------------------------------------------------------------------------
// A YAML document as a tree of nodes with their places.

#[derive(Debug, Clone)]
enum Value {
    /// The text as written; `plain`: unquoted (so `~`, `null` and an empty value are null).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
struct Node {
    value: Value,
    line: usize,
    column: usize,
}

impl Node {
    fn error(&self, message: impl Into<String>) -> ContextError {
        ContextError {
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }

    fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true }
            if text.is_empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    }

    fn kind(&self) -> &'static str {
        match &self.value {
            _ if self.is_null() => "nothing",
            Value::Scalar { .. } => "a value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

fn place(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

/// Parses YAML text into one document's tree (anchors and aliases resolved).
fn tree(text: &str) -> Result<Option<Node>, ContextError> {
    enum Open {
        Seq(Node, Vec<Node>, usize),
        Map(Node, Vec<(Node, Node)>, Option<Node>, usize),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            ContextError {
                line: m.line(),
                column: m.col() + 1,
                message: format!("not valid YAML: {}", e.info()),
            }
        })?;
        let (line, column) = place(&span);
        let done = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(ContextError {
                        line,
                        column,
                        message: "a context file holds one YAML document".into(),
                    });
                }
                continue;
            }
            Event::Scalar(text, style, anchor, _) => {
                let node = Node {
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    line,
                    column,
                };
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => node.clone(),
                None => {
                    return Err(ContextError {
                        line,
                        column,
                        message: "alias of an unknown anchor".into(),
                    })
                }
            },
            Event::SequenceStart(anchor, _) => {
                let shell = Node {
                    value: Value::Seq(Vec::new()),
                    line,
                    column,
                };
                stack.push(Open::Seq(shell, Vec::new(), anchor));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                let shell = Node {
                    value: Value::Map(Vec::new()),
                    line,
                    column,
                };
                stack.push(Open::Map(shell, Vec::new(), None, anchor));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Open::Seq(mut node, items, anchor)) => {
                    node.value = Value::Seq(items);
                    if anchor > 0 {
                        anchors.insert(anchor, node.clone());
                    }
                    node
                }
                _ => unreachable!("the parser balances sequences"),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Open::Map(mut node, entries, _, anchor)) => {
                    node.value = Value::Map(entries);
                    if anchor > 0 {
                        anchors.insert(anchor, node.clone());
                    }
                    node
                }
                _ => unreachable!("the parser balances mappings"),
            },
            _ => continue,
        };
        match stack.last_mut() {
            Some(Open::Seq(_, items, _)) => items.push(done),
            Some(Open::Map(_, entries, key, _)) => match key.take() {
                Some(k) => entries.push((k, done)),
                None => *key = Some(done),
            },
            None => root = Some(done),
        }
    }
    Ok(root)
}

// ---------------------------------------------------------------------------------------
// Reading the tree into a `Context`, collecting every problem.

struct Reader {
    errors: Vec<ContextError>,
}

impl Reader {
    /// The entries of a mapping, every key checked against `allowed`; `None` (and an error)
    /// when `node` is not a mapping.
    fn map<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Option<BTreeMap<&'n str, &'n Node>> {
        let Value::Map(entries) = &node.value else {
            self.errors
                .push(node.error(format!("{what} must be a mapping, found {}", node.kind())));
            return None;
        };
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let Value::Scalar { text, .. } = &k.value else {
                self.errors.push(k.error("a key must be a plain value"));
                continue;
            };
            if !allowed.contains(&text.as_str()) {
                self.errors.push(k.error(format!(
                    "unknown key `{text}` in {what} (expected one of: {})",
                    allowed.join(", ")
                )));
            } else if out.insert(text.as_str(), v).is_some() {
                self.errors
                    .push(k.error(format!("key `{text}` is given twice in {what}")));
            }
        }
        Some(out)
    }

    fn list<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.value {
            Value::Seq(items) => items,
            _ if node.is_null() => &[],
            _ => {
                self.errors
                    .push(node.error(format!("{what} must be a list, found {}", node.kind())));
                &[]
            }
        }
    }

    /// A text value (null: `None`); anything but a scalar is an error.
    fn text(&mut self, node: Option<&&Node>, what: &str) -> Option<String> {
        let node = node?;
        match &node.value {
            _ if node.is_null() => None,
            Value::Scalar { text, .. } => {
                let t = text.trim();
                if t.is_empty() {
                    self.errors.push(node.error(format!("{what} is empty")));
                    None
                } else if t.chars().any(char::is_control) || t.len() > 512 {
                    self.errors
                        .push(node.error(format!("{what} must be one line of at most 512 bytes")));
                    None
                } else {
                    Some(t.to_owned())
                }
            }
            _ => {
                self.errors
                    .push(node.error(format!("{what} must be a value, found {}", node.kind())));
                None
            }
        }
    }

    /// A value of a fixed vocabulary (lower-cased before comparing).
    fn one_of(&mut self, node: Option<&&Node>, what: &str, allowed: &[&str]) -> Option<String> {
        let text = self.text(node, what)?;
        let lower = text.to_ascii_lowercase();
        if allowed.contains(&lower.as_str()) {
            Some(lower)
        } else {
            if let Some(n) = node {
                self.errors.push(n.error(format!(
                    "{what} `{text}` is not one of: {}",
                    allowed.join(", ")
                )));
            }
            None
        }
    }

    /// A glob pattern: text without control characters.
    fn glob(&mut self, node: Option<&&Node>, what: &str) -> Option<String> {
        self.text(node, what)
    }

    fn sla(&mut self, node: Option<&&Node>, what: &str) -> Sla {
        let mut sla = Sla::default();
        let Some(node) = node else { return sla };
        if node.is_null() {
            return sla;
        }
        let Some(entries) = self.map(node, what, &SLA_SEVERITIES) else {
            return sla;
        };
        for (i, severity) in SLA_SEVERITIES.iter().enumerate() {
            let Some(v) = entries.get(severity) else {
                continue;
            };
            match &v.value {
                Value::Scalar { text, .. } => match text.trim().parse::<u32>() {
                    Ok(days @ 1..=3650) => sla.0[i] = Some(days),
                    _ => self.errors.push(v.error(format!(
                        "{what}.{severity} must be a whole number of days from 1 to 3650, found `{text}`"
                    ))),
                },
                _ => self.errors.push(v.error(format!(
                    "{what}.{severity} must be a number of days, found {}",
                    v.kind()
                ))),
            }
        }
        sla
    }
}

/// Parses and validates a context file. Every problem is reported (not only the first),
/// each with its line and column.
pub fn parse(text: &str) -> Result<Context, ContextErrors> {
    let root = match tree(text) {
        Ok(Some(root)) if !root.is_null() => root,
        Ok(_) => {
            return Err(ContextErrors(vec![ContextError {
                line: 1,
                column: 1,
                message: "the file is empty: expected a mapping with landing_zones, accounts \
                          and resources"
                    .into(),
            }]))
        }
        Err(e) => return Err(ContextErrors(vec![e])),
    };
    let mut r = Reader { errors: Vec::new() };
    let mut context = Context::default();
    let top = r.map(
        &root,
        "the context file",
        &[
            "version",
            "defaults",
            "landing_zones",
            "accounts",
            "resources",
        ],
    );
    if let Some(top) = top {
        if let Some(v) = top.get("version") {
            if !matches!(&v.value, Value::Scalar { text, .. } if text.trim() == "1") {
                r.errors
                    .push(v.error("version must be 1 (the only format of context files)"));
            }
        }
        if let Some(defaults) = top.get("defaults") {
            if let Some(d) = r.map(defaults, "defaults", &["sla_days"]) {
                context.defaults = r.sla(d.get("sla_days"), "defaults.sla_days");
            }
        }
        if let Some(zones) = top.get("landing_zones") {
            read_zones(&mut r, zones, &mut context);
        }
        if let Some(accounts) = top.get("accounts") {
            read_accounts(&mut r, accounts, &mut context);
        }
        if let Some(rules) = top.get("resources") {
            read_rules(&mut r, rules, &mut context);
        }
    }
    if r.errors.is_empty() {
        Ok(context)
    } else {
        r.errors.sort_by_key(|e| (e.line, e.column));
        Err(ContextErrors(r.errors))
    }
}

fn read_zones(r: &mut Reader, node: &Node, context: &mut Context) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in r.list(node, "landing_zones") {
        let Some(z) = r.map(
            item,
            "a landing zone",
            &["id", "name", "owner", "regions", "sla_days"],
        ) else {
            continue;
        };
        let Some(id) = r.text(z.get("id"), "landing zone id") else {
            if !z.contains_key("id") {
                r.errors.push(item.error("a landing zone needs an id"));
            }
            continue;
        };
        if let Some(first) = seen.insert(id.clone(), item.line) {
            r.errors.push(item.error(format!(
                "landing zone `{id}` is defined twice (first on line {first})"
            )));
            continue;
        }
        let mut regions = Vec::new();
        if let Some(list) = z.get("regions") {
            for region in r.list(list, "regions").iter() {
                if let Some(text) = r.text(Some(&region), "a region") {
                    regions.push(text);
                }
            }
        }
        context.landing_zones.push(LandingZone {
            name: r.text(z.get("name"), "landing zone name"),
            owner: r.text(z.get("owner"), "landing zone owner"),
            regions,
            sla: r.sla(z.get("sla_days"), "sla_days"),
            id,
            line: item.line,
        });
    }
}

fn read_accounts(r: &mut Reader, node: &Node, context: &mut Context) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in r.list(node, "accounts") {
        let Some(a) = r.map(
            item,
            "an account",
            &[
                "id",
                "name",
                "landing_zone",
                "environment",
                "owner",
                "business_unit",
            ],
        ) else {
            continue;
        };
        let Some(uid) = r.text(a.get("id"), "account id") else {
            if !a.contains_key("id") {
                r.errors.push(item.error("an account needs an id"));
            }
            continue;
        };
        if let Some(first) = seen.insert(uid.clone(), item.line) {
            r.errors.push(item.error(format!(
                "account `{uid}` is listed twice (first on line {first})"
            )));
            continue;
        }
        let landing_zone = r.text(a.get("landing_zone"), "landing_zone");
        if let (Some(zone), Some(node)) = (&landing_zone, a.get("landing_zone")) {
            if !context.landing_zones.iter().any(|z| &z.id == zone) {
                let known: Vec<&str> = context
                    .landing_zones
                    .iter()
                    .map(|z| z.id.as_str())
                    .collect();
                r.errors.push(node.error(format!(
                    "landing zone `{zone}` is not defined under landing_zones (defined: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        context.accounts.push(AccountContext {
            name: r.text(a.get("name"), "account name"),
            environment: r.one_of(a.get("environment"), "environment", &ENVIRONMENTS),
            owner: r.text(a.get("owner"), "owner"),
            business_unit: r.text(a.get("business_unit"), "business_unit"),
            landing_zone,
            uid,
            line: item.line,
        });
    }
}

const MATCH_KEYS: [&str; 7] = ["tag", "name", "uid", "arn", "type", "account", "check"];
const RULE_EFFECTS: [&str; 5] = [
    "exposure",
    "data_class",
    "compensating_control",
    "owner",
    "owner_tag",
];

fn read_rules(r: &mut Reader, node: &Node, context: &mut Context) {
    let mut allowed = vec!["match"];
    allowed.extend(RULE_EFFECTS);
    for item in r.list(node, "resources") {
        let Some(rule) = r.map(item, "a resource rule", &allowed) else {
            continue;
        };
        let mut out = Rule {
            line: item.line,
            ..Rule::default()
        };
        match rule.get("match") {
            None => {
                r.errors.push(item.error(
                    "a resource rule needs `match` (tag, name, uid, type, account or check)",
                ))
            }
            Some(node) => {
                if let Some(m) = r.map(node, "match", &MATCH_KEYS) {
                    if matches!(&node.value, Value::Map(entries) if entries.is_empty()) {
                        r.errors.push(item.error(
                            "`match` needs at least one of tag, name, uid, type, account, check",
                        ));
                    }
                    if m.contains_key("uid") && m.contains_key("arn") {
                        r.errors
                            .push(item.error("give `uid` or its alias `arn`, not both"));
                    }
                    if let Some(tag) = m.get("tag") {
                        read_tag(r, tag, &mut out);
                    }
                    out.name = r.glob(m.get("name"), "match.name");
                    out.uid = r.glob(m.get("uid").or(m.get("arn")), "match.uid");
                    out.resource_type = r.glob(m.get("type"), "match.type");
                    out.account = r.text(m.get("account"), "match.account");
                    out.check = r.glob(m.get("check"), "match.check");
                }
            }
        }
        out.exposure = r.one_of(rule.get("exposure"), "exposure", &EXPOSURES);
        out.data_class = r.one_of(rule.get("data_class"), "data_class", &DATA_CLASSES);
        out.compensating_control = r.text(rule.get("compensating_control"), "compensating_control");
        out.owner = r.text(rule.get("owner"), "owner");
        out.owner_tag = r.text(rule.get("owner_tag"), "owner_tag");
        if !RULE_EFFECTS.iter().any(|k| rule.contains_key(k)) {
            r.errors.push(item.error(format!(
                "a resource rule must say something of what it matches: one of {}",
                RULE_EFFECTS.join(", ")
            )));
        }
        context.rules.push(out);
    }
}

/// `tag: Key`, `tag: Key=value-glob` or `tag: {key: Key, value: glob}`.
fn read_tag(r: &mut Reader, node: &Node, out: &mut Rule) {
    if let Value::Map(_) = node.value {
        if let Some(t) = r.map(node, "match.tag", &["key", "value"]) {
            out.tag_key = r.text(t.get("key"), "match.tag.key");
            out.tag_value = r.glob(t.get("value"), "match.tag.value");
            if !t.contains_key("key") {
                r.errors.push(node.error("match.tag needs a key"));
            }
        }
        return;
    }
    if let Some(text) = r.text(Some(&node), "match.tag") {
        match text.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.tag_key = Some(k.trim().to_owned());
                out.tag_value = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
            }
            Some(_) => r
                .errors
                .push(node.error("match.tag: `=value` without a key")),
            None => out.tag_key = Some(text),
        }
    }
}

/// A glob (`*` any text, `?` one character) as a SQL `LIKE` pattern whose escape character
/// is `\` (`%`, `_` and `\` are escaped, so they match themselves).
pub fn glob_to_like(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len() + 4);
    for c in glob.chars() {
        match c {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The context as rows of the context tables.

/// What identifies a stored version of the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// Version number, from 1, in the order the versions were set.
    pub version: i64,
    /// The first week it judges (weeks before the first version are judged by it too).
    pub effective_week: IsoWeek,
    /// When it was set, microseconds since the epoch (UTC).
    pub set_at_micros: i64,
    /// The file it was read from, as given.
    pub source: String,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
}

/// The rows of the three context tables for one version: `context_versions`,
/// `context_accounts`, `context_rules` (schemas in `schema.rs`).
pub fn batches(context: &Context, info: &VersionInfo) -> Result<[RecordBatch; 3], ArrowError> {
    let defaults = context.defaults.or(Sla(DEFAULT_SLA_DAYS));
    let sla_cols = |sla: &[Sla]| -> Vec<ArrayRef> {
        (0..5)
            .map(|i| {
                let mut b = Int32Builder::new();
                for s in sla {
                    b.append_option(s.0[i].map(|d| d as i32));
                }
                Arc::new(b.finish()) as ArrayRef
            })
            .collect()
    };
    let texts = |values: Vec<Option<&str>>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for v in values {
            b.append_option(v);
        }
        Arc::new(b.finish())
    };
    let versions_of = |n: usize| -> ArrayRef {
        let mut b = Int64Builder::new();
        for _ in 0..n {
            b.append_value(info.version);
        }
        Arc::new(b.finish())
    };
    let week = info.effective_week.to_string();

    // context_versions: one row.
    let mut columns: Vec<ArrayRef> = vec![
        versions_of(1),
        texts(vec![Some(&week)]),
        Arc::new(TimestampMicrosecondArray::from(vec![info.set_at_micros]).with_timezone("UTC")),
        texts(vec![Some(&info.source)]),
        texts(vec![Some(&info.sha256)]),
    ];
    columns.extend(sla_cols(&[defaults]));
    {
        let mut b = Int64Builder::new();
        b.append_value(context.landing_zones.len() as i64);
        columns.push(Arc::new(b.finish()));
        let mut b = Int64Builder::new();
        b.append_value(context.accounts.len() as i64);
        columns.push(Arc::new(b.finish()));
        let mut b = Int64Builder::new();
        b.append_value(context.rules.len() as i64);
        columns.push(Arc::new(b.finish()));
    }
    let versions = RecordBatch::try_new(schema::context_versions_schema(), columns)?;

    // context_accounts: one row per account, its landing zone's fields carried along.
    let zone_of = |a: &AccountContext| {
        a.landing_zone
            .as_ref()
            .and_then(|id| context.landing_zones.iter().find(|z| &z.id == id))
    };
    let accounts = &context.accounts;
    let mut regions =
        ListBuilder::new(StringBuilder::new()).with_field(Arc::new(arrow::datatypes::Field::new(
            schema::LIST_ELEMENT,
            arrow::datatypes::DataType::Utf8,
            false,
        )));
    for a in accounts {
        for region in zone_of(a).map(|z| z.regions.as_slice()).unwrap_or_default() {
            regions.values().append_value(region);
        }
        regions.append(true);
    }
    let slas: Vec<Sla> = accounts
        .iter()
        .map(|a| zone_of(a).map_or(defaults, |z| z.sla.or(defaults)))
        .collect();
    let mut columns: Vec<ArrayRef> = vec![
        versions_of(accounts.len()),
        texts(accounts.iter().map(|a| Some(a.uid.as_str())).collect()),
        texts(accounts.iter().map(|a| a.name.as_deref()).collect()),
        texts(accounts.iter().map(|a| a.landing_zone.as_deref()).collect()),
        texts(
            accounts
                .iter()
                .map(|a| zone_of(a).and_then(|z| z.name.as_deref().or(Some(&z.id))))
                .collect(),
        ),
        texts(accounts.iter().map(|a| a.environment.as_deref()).collect()),
        texts(
            accounts
                .iter()
                .map(|a| {
                    a.owner
                        .as_deref()
                        .or_else(|| zone_of(a).and_then(|z| z.owner.as_deref()))
                })
                .collect(),
        ),
        texts(
            accounts
                .iter()
                .map(|a| a.business_unit.as_deref())
                .collect(),
        ),
        Arc::new(regions.finish()),
    ];
    columns.extend(sla_cols(&slas));
    let accounts = RecordBatch::try_new(schema::context_accounts_schema(), columns)?;

    // context_rules: one row per rule, globs as LIKE patterns.
    let rules = &context.rules;
    let like = |f: fn(&Rule) -> Option<&String>| -> ArrayRef {
        let values: Vec<Option<String>> = rules
            .iter()
            .map(|r| f(r).map(|g| glob_to_like(g)))
            .collect();
        texts(values.iter().map(|v| v.as_deref()).collect())
    };
    let plain = |f: fn(&Rule) -> Option<&String>| -> ArrayRef {
        texts(rules.iter().map(|r| f(r).map(String::as_str)).collect())
    };
    let mut rule_no = Int32Builder::new();
    let mut line = Int32Builder::new();
    for (i, r) in rules.iter().enumerate() {
        rule_no.append_value(i as i32 + 1);
        line.append_value(r.line as i32);
    }
    let columns: Vec<ArrayRef> = vec![
        versions_of(rules.len()),
        Arc::new(rule_no.finish()),
        Arc::new(line.finish()),
        plain(|r| r.tag_key.as_ref()),
        like(|r| r.tag_value.as_ref()),
        like(|r| r.name.as_ref()),
        like(|r| r.uid.as_ref()),
        like(|r| r.resource_type.as_ref()),
        plain(|r| r.account.as_ref()),
        like(|r| r.check.as_ref()),
        plain(|r| r.exposure.as_ref()),
        plain(|r| r.data_class.as_ref()),
        plain(|r| r.compensating_control.as_ref()),
        plain(|r| r.owner.as_ref()),
        plain(|r| r.owner_tag.as_ref()),
    ];
    let rules = RecordBatch::try_new(schema::context_rules_schema(), columns)?;
    Ok([versions, accounts, rules])
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
version: 1
defaults:
  sla_days: {critical: 5, high: 20}
landing_zones:
  - id: payments
    name: Payments
    owner: team-payments
    regions: [eu-west-1, eu-central-1]
    sla_days: &tight {critical: 2, high: 10}
  - id: sandbox
    sla_days: *tight
accounts:
  - id: 012345678901
    landing_zone: payments
    environment: Prod
    business_unit: Payments
  - id: "222222222222"
    name: dev box
    landing_zone: sandbox
    environment: sandbox
    owner: alice
resources:
  - match: {tag: {key: data-class, value: pii}}
    data_class: pii
  - match: {tag: "Owner"}
    owner_tag: Owner
  - match: {arn: "arn:aws:s3:::static_*", type: AwsS3Bucket}
    data_class: public
    exposure: public
"#;

    #[test]
    fn a_valid_file_reads_whole_with_its_lines() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.defaults.0, [Some(5), Some(20), None, None, None]);
        assert_eq!(c.landing_zones.len(), 2);
        assert_eq!(c.landing_zones[0].regions, ["eu-west-1", "eu-central-1"]);
        // the anchor is read where the alias stands
        assert_eq!(c.landing_zones[1].sla.0[..2], [Some(2), Some(10)]);
        // an unquoted account id keeps its leading zero; the environment is lower-cased
        assert_eq!(c.accounts[0].uid, "012345678901");
        assert_eq!(c.accounts[0].environment.as_deref(), Some("prod"));
        assert_eq!(c.accounts[1].name.as_deref(), Some("dev box"));
        assert_eq!(c.accounts[1].line, 18);
        assert_eq!(c.rules[0].tag_key.as_deref(), Some("data-class"));
        assert_eq!(c.rules[1].tag_value, None);
        assert_eq!(c.rules[2].uid.as_deref(), Some("arn:aws:s3:::static_*"));
        assert_eq!(c.rules[2].line, 28);
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let text = "\
landing_zones:
  - id: a
  - id: a
accounts:
  - id: '1'
    landing_zone: b
    environment: production
  - name: no id
resources:
  - match: {colour: red}
    owner: x
  - match: {name: x}
sla: 3
";
        let errors = parse(text).unwrap_err().to_string();
        assert_eq!(
            errors,
            "line 3, column 5: landing zone `a` is defined twice (first on line 2)\n\
             line 6, column 19: landing zone `b` is not defined under landing_zones (defined: a)\n\
             line 7, column 18: environment `production` is not one of: prod, staging, dev, sandbox\n\
             line 8, column 5: an account needs an id\n\
             line 10, column 13: unknown key `colour` in match (expected one of: tag, name, uid, arn, type, account, check)\n\
             line 12, column 5: a resource rule must say something of what it matches: one of exposure, data_class, compensating_control, owner, owner_tag\n\
             line 13, column 1: unknown key `sla` in the context file (expected one of: version, defaults, landing_zones, accounts, resources)"
        );
    }

    #[test]
    fn broken_yaml_and_wrong_shapes_say_where() {
        let e = parse("accounts:\n  - id: [1, 2\n").unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert!(e.0[0].message.starts_with("not valid YAML"), "{e}");
        assert_eq!(e.0[0].line, 3);
        let e = parse("accounts:\n  id: 1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column 3: accounts must be a list, found a mapping"
        );
        let e = parse("landing_zones:\n  - id: z\n    sla_days: {high: two}\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3, column 22: sla_days.high must be a whole number of days from 1 to 3650, found `two`"
        );
        assert!(parse("").unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn globs_become_like_patterns_that_match_only_themselves_elsewhere() {
        assert_eq!(
            glob_to_like("arn:aws:s3:::static_*"),
            "arn:aws:s3:::static\\_%"
        );
        assert_eq!(glob_to_like("a?b%c\\"), "a_b\\%c\\\\");
    }

    #[test]
    fn rows_carry_the_zone_into_each_account_and_sla_fallbacks() {
        let c = parse(GOOD).unwrap();
        let info = VersionInfo {
            version: 3,
            effective_week: IsoWeek {
                year: 2026,
                week: 5,
            },
            set_at_micros: 0,
            source: "context.yaml".into(),
            sha256: "00".into(),
        };
        let [versions, accounts, rules] = batches(&c, &info).unwrap();
        assert_eq!(versions.num_rows(), 1);
        assert_eq!(accounts.num_rows(), 2);
        assert_eq!(rules.num_rows(), 3);
        let pretty = arrow::util::pretty::pretty_format_batches(&[accounts])
            .unwrap()
            .to_string();
        // the zone's owner is the account's when it names none; zone SLA, then the file's
        // defaults, then the built-in ones
        assert!(pretty.contains("| 3       | 012345678901 |              | payments     | Payments          | prod        | team-payments | Payments      | [eu-west-1, eu-central-1] | 2            | 10       | 90         | 180     |                   |"), "{pretty}");
    }
}
