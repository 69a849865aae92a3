//! Plain text tables that fit a terminal.

use std::io::Write;

/// Longest cell, in characters, before it is cut with `…`.
const MAX_CELL: usize = 64;

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CELL {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX_CELL - 1).collect();
        t.push('…');
        t
    }
}

/// Writes `rows` under `headers`, columns padded; `right` lists the right-aligned columns.
pub fn write(
    out: &mut dyn Write,
    headers: &[&str],
    rows: &[Vec<String>],
    right: &[usize],
) -> std::io::Result<()> {
    // (the last column is never padded, so its text is never cut either: a query puts its
    // explanation there, e.g. priorities' risk_reason)
    let last = headers.len().saturating_sub(1);
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| if i == last { c.clone() } else { cut(c) })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = w.saturating_sub(cell.chars().count());
            if right.contains(&i) {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        s
    };
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    writeln!(out, "{}", line(&headers))?;
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_and_long_cells_cut() {
        let mut out = Vec::new();
        let long = "x".repeat(70);
        write(
            &mut out,
            &["A", "N"],
            &[vec!["ab".into(), "1".into()], vec![long, "100".into()]],
            &[1],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("A{}    N", " ".repeat(63)));
        assert_eq!(lines[1], format!("ab{}    1", " ".repeat(62)));
        assert!(lines[2].contains('…'));
        assert!(lines[2].ends_with("100"));
    }
}
