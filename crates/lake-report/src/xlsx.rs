//! The spreadsheet of the week: the diff and the open findings, one sheet each, with a
//! frozen header, an autofilter and severity-coloured cells (rust_xlsxwriter).

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::model::{severity_rank, Report};

/// Excel's last row (1,048,576 rows, the header included).
const MAX_ROWS: usize = 1_048_575;
/// Excel's longest cell text.
const MAX_CELL: usize = 32_767;

fn severity_format(severity: &str) -> Format {
    let (bg, fg) = match severity_rank(severity) {
        0 => (0xF6D5D5, 0x6D1010),
        1 => (0xFBE1D9, 0x8A2A1C),
        2 => (0xFDF0D9, 0x7A4D07),
        3 => (0xE1EEF8, 0x1F4E75),
        _ => (0xEEEEEE, 0x444444),
    };
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(bg))
        .set_font_color(Color::RGB(fg))
}

fn cell(s: &str) -> &str {
    if s.len() <= MAX_CELL {
        return s;
    }
    let mut end = MAX_CELL;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

struct Sheet<'a> {
    ws: &'a mut Worksheet,
    severities: [Format; 5],
}

impl Sheet<'_> {
    fn header(&mut self, names: &[(&str, f64)]) -> Result<(), XlsxError> {
        let bold = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xF6F7F9))
            .set_border_bottom(FormatBorder::Thin);
        for (c, (name, width)) in names.iter().enumerate() {
            self.ws
                .write_string_with_format(0, c as u16, *name, &bold)?;
            self.ws.set_column_width(c as u16, *width)?;
        }
        self.ws.set_freeze_panes(1, 0)?;
        Ok(())
    }

    fn text(&mut self, row: usize, col: u16, s: &str) -> Result<(), XlsxError> {
        if !s.is_empty() {
            self.ws.write_string(row as u32, col, cell(s))?;
        }
        Ok(())
    }

    fn severity(&mut self, row: usize, col: u16, s: &str) -> Result<(), XlsxError> {
        let format = &self.severities[severity_rank(s).min(4)];
        self.ws
            .write_string_with_format(row as u32, col, cell(s), format)?;
        Ok(())
    }
}

/// The workbook's bytes.
pub fn render(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let severities = ["Critical", "High", "Medium", "Low", "Informational"].map(severity_format);
    let mut workbook = Workbook::new();

    let ws = workbook.add_worksheet();
    ws.set_name("Diff")?;
    let mut sheet = Sheet {
        ws,
        severities: severities.clone(),
    };
    let head = [
        ("Change", 12.0),
        ("Reason", 22.0),
        ("Severity", 13.0),
        ("Muted", 8.0),
        ("Check", 40.0),
        ("Title", 50.0),
        ("Account", 16.0),
        ("Region", 14.0),
        ("Resource", 50.0),
        ("Status now", 11.0),
        ("Status before", 13.0),
        ("Baseline week", 14.0),
        ("Status detail", 60.0),
        ("Finding uid", 40.0),
    ];
    sheet.header(&head)?;
    let rows = report.diff_rows.len().min(MAX_ROWS);
    for (i, r) in report.diff_rows.iter().take(rows).enumerate() {
        let row = i + 1;
        sheet.text(row, 0, &r.change)?;
        sheet.text(row, 1, &r.reason)?;
        sheet.severity(row, 2, &r.severity)?;
        sheet.ws.write_boolean(row as u32, 3, r.muted)?;
        sheet.text(row, 4, &r.check_id)?;
        sheet.text(row, 5, &r.title)?;
        sheet.text(row, 6, &r.account_uid)?;
        sheet.text(row, 7, &r.region)?;
        sheet.text(row, 8, &r.resource_uid)?;
        sheet.text(row, 9, r.status_now.as_deref().unwrap_or(""))?;
        sheet.text(row, 10, r.status_before.as_deref().unwrap_or(""))?;
        sheet.text(row, 11, r.baseline_week.as_deref().unwrap_or(""))?;
        sheet.text(row, 12, &r.status_detail)?;
        sheet.text(row, 13, &r.finding_uid)?;
    }
    sheet
        .ws
        .autofilter(0, 0, rows.max(1) as u32, (head.len() - 1) as u16)?;

    let ws = workbook.add_worksheet();
    ws.set_name("Open findings")?;
    let mut sheet = Sheet { ws, severities };
    let head = [
        ("Severity", 13.0),
        ("Check", 40.0),
        ("Title", 50.0),
        ("Account", 16.0),
        ("Region", 14.0),
        ("Resource", 50.0),
        ("Status detail", 60.0),
        ("Remediation", 60.0),
        ("Finding uid", 40.0),
    ];
    sheet.header(&head)?;
    let rows = report.open_rows.len().min(MAX_ROWS);
    for (i, r) in report.open_rows.iter().take(rows).enumerate() {
        let row = i + 1;
        sheet.severity(row, 0, &r.severity)?;
        sheet.text(row, 1, &r.check_id)?;
        sheet.text(row, 2, &r.title)?;
        sheet.text(row, 3, &r.account_uid)?;
        sheet.text(row, 4, &r.region)?;
        sheet.text(row, 5, &r.resource_uid)?;
        sheet.text(row, 6, &r.status_detail)?;
        sheet.text(row, 7, &r.remediation)?;
        sheet.text(row, 8, &r.finding_uid)?;
    }
    sheet
        .ws
        .autofilter(0, 0, rows.max(1) as u32, (head.len() - 1) as u16)?;
    if (report.open_rows_total as usize) > rows {
        // Say what was left out rather than cut silently.
        let note = format!(
            "{} of {} open findings shown (Excel holds {} rows; `lake query` gives them all)",
            rows, report.open_rows_total, MAX_ROWS
        );
        sheet.ws.write_string(0, head.len() as u16 + 1, note)?;
    }
    workbook.save_to_buffer()
}
