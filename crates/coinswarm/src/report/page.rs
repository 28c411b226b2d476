//! The frame every report page shares: the document head with the inline style sheet, and its
//! end. Page bodies are written between [`open`] and [`CLOSE`].

use super::escape::escape;

/// The end of every page.
pub const CLOSE: &str = "</body></html>";

/// What every page's footer says about itself.
pub const SELF_CONTAINED: &str = "This page is self-contained: no scripts, fonts or network.";

/// The start of a page titled `title` (escaped), up to and including `<body>`.
pub fn open(title: &str) -> String {
    let mut html = String::with_capacity(256 * 1024);
    html.push_str(r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>"#);
    html.push_str(&escape(title));
    html.push_str("</title><style>");
    html.push_str(STYLE);
    html.push_str("</style></head><body>");
    html
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1000px;padding:16px;color:#1d2330;background:#fff}\
h1{font-size:1.4em;margin:0 0 4px}h2{font-size:1.1em;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}\
header p,.note,footer{color:#5b6475;font-size:.85em}footer{margin-top:32px;border-top:1px solid #dde2ea;padding-top:8px}\
svg.chart{display:block;width:100%;height:auto;margin:4px 0}\
.grid{stroke:#e6e9ef;stroke-width:1}text{font-size:11px;fill:#5b6475}text.value{text-anchor:end}text.date,text.empty{text-anchor:middle}text.date.last{text-anchor:end}\
path.series{fill:none;stroke-width:1.4;stroke-linejoin:round}#equity-chart path.series,#oos-equity-chart path.series{stroke:#2458c6}#price-chart path.series{stroke:#39414f;stroke-width:1}\
#drawdown-chart path.series{fill:#e0525233;stroke:#c43c3c;stroke-width:1}\
path.markers.entry,.entry{fill:#1a9850;color:#1a9850}path.markers.exit,.exit{fill:#d73027;color:#d73027}path.markers{fill-opacity:.85}\
table{border-collapse:collapse;width:100%;font-size:.85em;font-variant-numeric:tabular-nums}\
th,td{padding:3px 8px;border-bottom:1px solid #eef0f4;text-align:left}td{text-align:right}#metrics-table td:last-child{text-align:left;color:#5b6475}\
tr.win td:nth-child(8){color:#1a7f45}tr.loss td:nth-child(8){color:#c43c3c}\
rect.bar{fill:#2458c6}rect.bar.out-of-sample{fill:#e08a2c}line.mark{stroke:#c43c3c;stroke-width:1.5;stroke-dasharray:5 3}text.mark{fill:#c43c3c}text.category{text-anchor:middle}\
.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}.key.in-sample{background:#2458c6}.key.out-of-sample{background:#e08a2c}\
.verdict{font-weight:600}.verdict.pass{color:#1a7f45}.verdict.fail{color:#c43c3c}";
