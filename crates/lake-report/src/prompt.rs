//! The prompt that asks an LLM (or tells a person) for the report's narrative.

use std::fmt::Write;

use crate::narrative::SECTIONS;

/// The prompt for the narrative of `week`'s report: the fixed sections, the Markdown subset
/// `lake report --narrative` accepts, and the summary inputs (`lake summary`'s JSON text) as
/// the only source of facts.
pub fn prompt(week: &str, summary_inputs: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "You are writing the narrative of the weekly cloud security report for ISO week {week}, \
         read by engineering leadership. lake adds the tables and charts itself (open failures \
         by severity, new and resolved findings by check, top open issues, trends, quick wins); \
         your text goes above them in each section and tells the story: what changed, why it \
         matters, what to do first.\n"
    );
    out.push_str("Write Markdown with exactly these second-level headings, in this order:\n");
    for s in SECTIONS {
        let _ = writeln!(out, "## {s}");
    }
    out.push_str(
        "\nUse only this Markdown (anything else is rejected):\n\
         - paragraphs; `-` or `1.` lists, one level deep; `### ` sub-headings;\n\
         - **bold**, *italic*, `inline code` for ids, ARNs and policies, fenced ``` code blocks;\n\
         - [links](https://...) to http(s) URLs.\n\
         No tables, raw HTML, images, block quotes, nested lists or horizontal rules.\n\n\
         Rules for the numbers:\n\
         - Cite only numbers that appear in the inputs below; do not add up or derive new ones.\n\
         - \"resolved\" is changes.resolved: findings whose check ran again on the same account \
           and region and no longer failed. Accounts in scope.accounts_missing, \
           accounts_failed, accounts_empty (a scan that reported nothing) or accounts_partial \
           were not (fully) scanned: say so, and never present their absence as an \
           improvement.\n\
         - open_fail_by_severity.delta compares only what both weeks observed; \
           not_compared says what it left out; null means the weeks observed nothing in \
           common: say there is no comparison, never \"no change\".\n\
         - Open failures are unmuted FAILs (totals.open_fail, open_fail_by_severity); \
           totals.fail also counts the muted ones (muted_fail): do not quote it as open.\n\
         - changes.unverified are findings that could not be checked this week: neither \
           open nor resolved.\n\
         Keep each section under 120 words.\n\n\
         The summary inputs of the week (JSON):\n\n",
    );
    let _ = writeln!(out, "```json\n{}\n```", summary_inputs.trim_end());
    out
}
