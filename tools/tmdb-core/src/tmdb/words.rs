//! The words a title or name is searched by, as the mirror's full-text index cuts them
//! (SQLite FTS5 `unicode61 remove_diacritics 2`): runs of letters and digits, lower-cased,
//! accents removed. tmdb-sim searches with these so that its answers equal the mirror's.

/// The tokens of `text`.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
        .collect()
}

/// The words of what a user typed, as tmdb-serve's search reads them: split at spaces and
/// ASCII punctuation, at most 16, the last one matched as a prefix.
pub fn query(input: &str) -> Vec<String> {
    input
        .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || c.is_control())
        .filter(|w| !w.is_empty())
        .take(16)
        .flat_map(tokens)
        .collect()
}

/// Whether `text`'s tokens hold every word of `words`, the last one as a prefix.
pub fn matches(words: &[String], tokens: &[String]) -> bool {
    let Some((last, rest)) = words.split_last() else {
        return false;
    };
    rest.iter().all(|w| tokens.contains(w)) && tokens.iter().any(|t| t.starts_with(last.as_str()))
}

/// Lower case without accents, for the Latin letters that carry them.
fn fold(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è'..='ë' | 'ē' | 'ę' | 'ě' => 'e',
            'ì'..='ï' | 'ī' | 'į' => 'i',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò'..='ö' | 'ø' | 'ō' | 'ő' => 'o',
            'ù'..='ü' | 'ū' | 'ů' | 'ű' => 'u',
            'ý' | 'ÿ' => 'y',
            'ś' | 'š' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            'ł' => 'l',
            'ř' => 'r',
            'ğ' => 'g',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_like_the_index() {
        assert_eq!(tokens("Amélie, Part-II"), ["amelie", "part", "ii"]);
        let t = tokens("The Dark Knight Rises");
        assert!(matches(&query("dark kni"), &t));
        assert!(!matches(&query("dar knight"), &t));
        assert!(!matches(&query("!!"), &t));
    }
}
