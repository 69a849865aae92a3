//! Severity and status vocabularies, defined once.

/// OCSF severity, as Prowler fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// 0
    Unknown,
    /// 1
    Informational,
    /// 2
    Low,
    /// 3
    Medium,
    /// 4
    High,
    /// 5
    Critical,
    /// 6
    Fatal,
    /// 99
    Other,
}

impl Severity {
    /// Every severity, least severe first (Unknown and Other last).
    pub const ALL: [Severity; 8] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
        Severity::Fatal,
        Severity::Unknown,
        Severity::Other,
    ];

    /// The OCSF `severity_id`.
    pub fn id(self) -> i32 {
        match self {
            Severity::Unknown => 0,
            Severity::Informational => 1,
            Severity::Low => 2,
            Severity::Medium => 3,
            Severity::High => 4,
            Severity::Critical => 5,
            Severity::Fatal => 6,
            Severity::Other => 99,
        }
    }

    /// The OCSF name, capitalised.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Unknown => "Unknown",
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
            Severity::Fatal => "Fatal",
            Severity::Other => "Other",
        }
    }

    /// The severity with this id.
    pub fn from_id(id: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| i64::from(s.id()) == id)
    }

    /// The severity with this name, ignoring case (`info` is Informational).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("info") {
            return Some(Severity::Informational);
        }
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

/// `status_code` values.
pub const STATUS_CODES: [&str; 3] = ["PASS", "FAIL", "MANUAL"];

/// OCSF `status_id` of a suppressed (muted) finding.
pub const STATUS_ID_SUPPRESSED: i64 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::from_id(i64::from(s.id())), Some(s));
            assert_eq!(Severity::from_name(&s.name().to_uppercase()), Some(s));
        }
        assert_eq!(Severity::from_name("info"), Some(Severity::Informational));
        assert_eq!(Severity::from_name("severe"), None);
    }
}
