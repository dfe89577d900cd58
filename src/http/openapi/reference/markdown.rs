//! CommonMark in the document's descriptions, as HTML.

use pulldown_cmark::{Event, Options, Parser, html};

/// `text` rendered; raw HTML in it is shown as text, not passed through, so a
/// description cannot break the page.
pub fn markdown(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let events = Parser::new_ext(text, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        other => other,
    });
    let mut out = String::with_capacity(text.len() * 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_emphasis_and_links_are_rendered_and_html_is_escaped() {
        let html = markdown("Use `inst_…` **now**, see [API](/docs) <script>x</script>");
        assert_eq!(
            html.trim(),
            "<p>Use <code>inst_…</code> <strong>now</strong>, see <a href=\"/docs\">API</a> \
             &lt;script&gt;x&lt;/script&gt;</p>"
        );
    }
}
