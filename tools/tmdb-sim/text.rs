//! Synthetic text with the values that break careless clients: titles and names in many
//! scripts, emoji, quotes, backslashes, very long biographies, empty strings.

use crate::rng::Rng;

/// A writing system and the language code TMDB would give a title written in it.
struct Script {
    language: &'static str,
    country: &'static str,
    syllables: &'static [&'static str],
}

const SCRIPTS: &[Script] = &[
    Script {
        language: "en",
        country: "US",
        syllables: &[
            "an", "ber", "cal", "do", "el", "fin", "gar", "hol", "is", "jo", "ka", "lin", "mor",
            "ne", "ory", "pa", "quin", "ro", "sel", "ton", "ur", "val", "wen", "xa", "yor", "zel",
        ],
    },
    Script {
        language: "fr",
        country: "FR",
        syllables: &[
            "é", "lou", "mar", "çois", "ève", "dé", "ré", "mie", "gné", "bel", "oï", "ter",
        ],
    },
    Script {
        language: "de",
        country: "DE",
        syllables: &[
            "über", "straß", "mül", "kö", "hei", "wald", "grün", "ber", "schn", "ä",
        ],
    },
    Script {
        language: "ru",
        country: "RU",
        syllables: &[
            "Ал", "ек", "сан", "др", "Мо", "ск", "ва", "Жи", "зн", "ьё", "щи", "ый",
        ],
    },
    Script {
        language: "el",
        country: "GR",
        syllables: &["Αθ", "ήν", "α", "Ζω", "ή", "λό", "γος", "Ψυ", "χή", "ώ"],
    },
    Script {
        language: "ja",
        country: "JP",
        syllables: &[
            "東", "京", "物", "語", "さ", "く", "ら", "の", "ア", "ニ", "メ", "夢",
        ],
    },
    Script {
        language: "zh",
        country: "CN",
        syllables: &[
            "龍", "門", "客", "棧", "春", "光", "乍", "洩", "花", "樣", "年", "華",
        ],
    },
    Script {
        language: "ko",
        country: "KR",
        syllables: &[
            "기", "생", "충", "올", "드", "보", "이", "살", "인", "의", "추", "억",
        ],
    },
    Script {
        language: "ar",
        country: "EG",
        syllables: &[
            "الـ", "قا", "هر", "ة", "سـ", "لا", "م", "نو", "ر", "بـ", "حـ", "ب",
        ],
    },
    Script {
        language: "hi",
        country: "IN",
        syllables: &["दि", "ल", "वा", "ले", "दु", "ल्", "हनि", "या", "शो", "ले"],
    },
    Script {
        language: "he",
        country: "IL",
        syllables: &["של", "ום", "א", "הב", "ה", "ירו", "של", "ים"],
    },
    Script {
        language: "th",
        country: "TH",
        syllables: &["สวั", "สดี", "รัก", "แห่ง", "สยาม", "ฟ้า"],
    },
];

/// Decorations that test escaping and Unicode handling.
const NASTY: &[&str] = &[
    "\"",
    "\\",
    "'",
    "🎬",
    "👩‍🚀",
    "🇫🇷",
    "…",
    "&",
    "<b>",
    "/",
    "\t",
];

/// A capitalized word of `min` to `min + extra - 1` syllables.
fn word(rng: &mut Rng, script: &Script, min: u64, extra: u64) -> String {
    let mut out = String::with_capacity(16);
    push_syllables(&mut out, rng, script, min, extra);
    capitalize_at(&mut out, 0);
    out
}

/// Appends `min` to `min + extra - 1` syllables, as they are spelt (lowercase for Latin).
fn push_syllables(out: &mut String, rng: &mut Rng, script: &Script, min: u64, extra: u64) {
    for _ in 0..min + rng.below(extra) {
        let syllable = *rng.pick(script.syllables);
        out.push_str(syllable);
    }
}

/// Upper-cases the character at byte `start` in place: bodies hold thousands of words, so
/// this avoids a second string per word.
fn capitalize_at(text: &mut String, start: usize) {
    let Some(first) = text[start..].chars().next() else {
        return;
    };
    if first.is_ascii() {
        text[start..start + 1].make_ascii_uppercase();
    } else {
        let upper: String = first.to_uppercase().collect();
        text.replace_range(start..start + first.len_utf8(), &upper);
    }
}

/// A language (and country) for a movie: most are English, a third are in another script.
pub fn pick_language(rng: &mut Rng) -> (&'static str, &'static str) {
    let script = if rng.chance(650) {
        &SCRIPTS[0]
    } else {
        rng.pick(&SCRIPTS[1..])
    };
    (script.language, script.country)
}

/// (title, original_title) for a movie in `language`: the original in its own script, the
/// title in English (the same text for English movies).
pub fn title(rng: &mut Rng, language: &str) -> (String, String) {
    let script = SCRIPTS
        .iter()
        .find(|s| s.language == language)
        .unwrap_or(&SCRIPTS[0]);
    let words = 1 + rng.below(4);
    let mut original: Vec<String> = (0..words).map(|_| word(rng, script, 1, 3)).collect();
    if rng.chance(60) {
        let nasty = *rng.pick(NASTY);
        original.insert(rng.below(words + 1) as usize, nasty.to_owned());
    }
    let original = original.join(" ");
    let title = if script.language == "en" {
        original.clone()
    } else {
        let latin = &SCRIPTS[0];
        (0..words)
            .map(|_| word(rng, latin, 1, 3))
            .collect::<Vec<_>>()
            .join(" ")
    };
    (title, original)
}

/// A person's name and original name (the same, or the name in its native script).
pub fn name(rng: &mut Rng) -> (String, String) {
    let latin = &SCRIPTS[0];
    let name = format!("{} {}", word(rng, latin, 1, 2), word(rng, latin, 2, 2));
    let original = if rng.chance(200) {
        let script = rng.pick(&SCRIPTS[1..]);
        format!("{} {}", word(rng, script, 2, 1), word(rng, script, 2, 1))
    } else {
        name.clone()
    };
    let name = if rng.chance(15) {
        format!("{name} {}", rng.pick(NASTY))
    } else {
        name
    };
    (name, original)
}

/// A sentence of `words` words.
pub fn sentence(rng: &mut Rng, words: u64) -> String {
    let mut out = String::with_capacity(8 * words as usize + 8);
    push_sentence(&mut out, rng, words);
    out
}

/// Appends a sentence of `words` words to `out`.
fn push_sentence(out: &mut String, rng: &mut Rng, words: u64) {
    let latin = &SCRIPTS[0];
    let start = out.len();
    for i in 0..words.max(1) {
        if i > 0 {
            out.push(' ');
        }
        push_syllables(out, rng, latin, 1, 3);
    }
    capitalize_at(out, start);
    if rng.chance(50) {
        out.push(' ');
        let nasty = *rng.pick(NASTY);
        out.push_str(nasty);
    }
    out.push('.');
}

/// Paragraphs separated by blank lines, about `bytes` long.
pub fn prose(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 128);
    while out.len() < bytes {
        if !out.is_empty() {
            out.push_str(if rng.chance(200) { "\n\n" } else { " " });
        }
        let words = 4 + rng.below(14);
        push_sentence(&mut out, rng, words);
    }
    out
}

/// A TMDB-style image path: `/` + 27 base-62 characters + `.jpg`.
pub fn image_path(rng: &mut Rng, ext: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(29 + ext.len());
    out.push('/');
    out.extend((0..27).map(|_| ALPHABET[rng.below(62) as usize] as char));
    out.push('.');
    out.push_str(ext);
    out
}

/// (iso_639_1, English name, native name) for spoken languages.
pub const LANGUAGES: &[(&str, &str, &str)] = &[
    ("en", "English", "English"),
    ("fr", "French", "Français"),
    ("de", "German", "Deutsch"),
    ("ru", "Russian", "Pусский"),
    ("el", "Greek", "ελληνικά"),
    ("ja", "Japanese", "日本語"),
    ("zh", "Mandarin", "普通话"),
    ("ko", "Korean", "한국어/조선말"),
    ("ar", "Arabic", "العربية"),
    ("hi", "Hindi", "हिन्दी"),
    ("he", "Hebrew", "עִבְרִית"),
    ("th", "Thai", "ภาษาไทย"),
    ("es", "Spanish", "Español"),
    ("xx", "No Language", "No Language"),
];

/// (iso_3166_1, name) for production countries.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States of America"),
    ("GB", "United Kingdom"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("RU", "Russia"),
    ("GR", "Greece"),
    ("JP", "Japan"),
    ("CN", "China"),
    ("KR", "South Korea"),
    ("EG", "Egypt"),
    ("IN", "India"),
    ("IL", "Israel"),
    ("TH", "Thailand"),
    ("CI", "Cote D'Ivoire"),
];

/// The English name of a language code, for `spoken_languages`.
pub fn language(code: &str) -> (&'static str, &'static str, &'static str) {
    *LANGUAGES
        .iter()
        .find(|l| l.0 == code)
        .unwrap_or(&LANGUAGES[0])
}

/// The name of a country code, for `production_countries`.
pub fn country(code: &str) -> (&'static str, &'static str) {
    *COUNTRIES
        .iter()
        .find(|c| c.0 == code)
        .unwrap_or(&COUNTRIES[0])
}
