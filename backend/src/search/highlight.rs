//! Which words of a body a query matched, as code-point ranges for the client to mark. Words
//! are found and folded here as the stores do: runs of letters and digits, lower-cased, accents
//! removed (canonical decomposition without its combining marks, and the few letters that have
//! no decomposition: ß → ss, æ → ae, ø → o, …).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::query::Term;

/// A word folded for comparison.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase) {
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            other => out.push(other),
        }
    }
    out
}

/// The body's words as `(start, end, folded)`, in code points.
fn words(body: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (code point, byte) where the current word began
    for (i, (byte, c)) in body.char_indices().enumerate() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some((i, byte)),
            (false, Some((from, from_byte))) => {
                found.push((from, i, fold(&body[from_byte..byte])));
                start = None;
            }
            _ => {}
        }
    }
    if let Some((from, from_byte)) = start {
        found.push((from, body.chars().count(), fold(&body[from_byte..])));
    }
    found
}

/// The ranges of `body` that match `terms`: every occurrence of a word (or of a prefix, for a
/// prefix term) and of each phrase, merged where they touch or overlap.
pub fn highlights(body: &str, terms: &[Term]) -> Vec<[usize; 2]> {
    let words = words(body);
    let mut ranges: Vec<[usize; 2]> = Vec::new();
    for term in terms {
        match term {
            Term::Word { word, prefix } => {
                let wanted = fold(word);
                for (start, end, folded) in &words {
                    if folded == &wanted || (*prefix && folded.starts_with(&wanted)) {
                        ranges.push([*start, *end]);
                    }
                }
            }
            Term::Phrase(phrase) => {
                let wanted: Vec<String> = phrase.iter().map(|w| fold(w)).collect();
                for window in words.windows(wanted.len()) {
                    if window.iter().zip(&wanted).all(|((_, _, folded), w)| folded == w) {
                        ranges.push([window[0].0, window[wanted.len() - 1].1]);
                    }
                }
            }
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<[usize; 2]> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range[0] <= last[1] => last[1] = last[1].max(range[1]),
            _ => merged.push(range),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str, prefix: bool) -> Term {
        Term::Word { word: w.into(), prefix }
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Crème BRÛLÉE"), "creme brulee");
        assert_eq!(fold("Straße Ærø"), "strasse aero");
    }

    #[test]
    fn ranges_are_code_points() {
        // "日本" is two code points but six bytes: ranges count code points.
        let body = "日本 café and CAFE, cafés";
        assert_eq!(highlights(body, &[word("cafe", false)]), vec![[3, 7], [12, 16]]);
        assert_eq!(highlights(body, &[word("caf", true)]), vec![[3, 7], [12, 16], [18, 23]]);
        assert_eq!(highlights(body, &[word("日本", false)]), vec![[0, 2]]);
    }

    #[test]
    fn phrases_and_merging() {
        let body = "the release notes, release notes again";
        let phrase = Term::Phrase(vec!["release".into(), "notes".into()]);
        assert_eq!(highlights(body, std::slice::from_ref(&phrase)), vec![[4, 17], [19, 32]]);
        assert_eq!(highlights(body, &[phrase, word("notes", false)]), vec![[4, 17], [19, 32]], "overlaps merge");
        assert!(highlights("", &[word("x", true)]).is_empty());
    }
}
