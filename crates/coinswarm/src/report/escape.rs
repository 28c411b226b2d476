//! Escaping text for HTML and SVG.

/// `text` with the five characters that can open markup or end an attribute value (`&`, `<`,
/// `>`, `"`, `'`) replaced by entities, so any string (a strategy name, a data set path, an
/// agent's name) is shown as text in element content and quoted attributes alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_become_entities() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script> it's"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; it&#39;s"
        );
    }

    #[test]
    fn plain_and_non_ascii_text_is_unchanged() {
        assert_eq!(escape("sma-cross(10,30) → BTC-USD ×√8760"), "sma-cross(10,30) → BTC-USD ×√8760");
    }
}
