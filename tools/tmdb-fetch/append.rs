//! The `append_to_response` list of `movies` and `people`: TMDB answers every sub-resource
//! named there inside the same single request, so the whole record costs one request.

use anyhow::{Result, bail};
use tmdb_core::model::ItemKind;

/// Every movie sub-resource the mirror keeps.
pub const MOVIE_DEFAULT: &str = "credits,keywords,release_dates,external_ids,alternative_titles,translations,videos,images,watch/providers";
/// Every person sub-resource the mirror keeps.
pub const PERSON_DEFAULT: &str = "external_ids,translations,images";
/// TMDB refuses more (HTTP 400, status_code 27).
const MAX_APPENDS: usize = 20;

/// Whether `name` is one of the sub-resources of the kind's default list (the ones the
/// mirror keeps in tables).
pub fn kept_append(kind: ItemKind, name: &str) -> bool {
    let list = match kind {
        ItemKind::Movie => MOVIE_DEFAULT,
        ItemKind::Person => PERSON_DEFAULT,
    };
    list.split(',').any(|kept| kept == name)
}

/// The value of `append_to_response` for `--append` (`None`: the kind's default), or `None`
/// when nothing is to be appended.
pub fn append_list(kind: ItemKind, flag: Option<&str>) -> Result<Option<String>> {
    let list = flag
        .unwrap_or(match kind {
            ItemKind::Movie => MOVIE_DEFAULT,
            ItemKind::Person => PERSON_DEFAULT,
        })
        .trim();
    if list.is_empty() || list == "none" {
        return Ok(None);
    }
    let items: Vec<&str> = list.split(',').map(str::trim).collect();
    for item in &items {
        if item.contains('.') {
            // The flag used to name the output file.
            bail!(
                "--append takes sub-resources such as credits,keywords, not {item:?}; \
                 write records to a file with --out FILE"
            );
        }
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_/".contains(c);
        if item.is_empty() || !item.chars().all(valid) {
            bail!(
                "--append {list:?}: {item:?} is not a sub-resource name \
                 (comma-separated names such as credits,keywords,watch/providers)"
            );
        }
    }
    if items.len() > MAX_APPENDS {
        bail!(
            "--append names {} sub-resources; TMDB answers at most {MAX_APPENDS} in one request",
            items.len()
        );
    }
    Ok(Some(items.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_none_and_lists() {
        let movie = |flag| append_list(ItemKind::Movie, flag).map_err(|e| e.to_string());
        assert_eq!(movie(None).unwrap().as_deref(), Some(MOVIE_DEFAULT));
        assert_eq!(
            append_list(ItemKind::Person, None).unwrap().as_deref(),
            Some(PERSON_DEFAULT)
        );
        assert_eq!(movie(Some("")).unwrap(), None);
        assert_eq!(movie(Some("none")).unwrap(), None);
        assert_eq!(movie(Some("credits")).unwrap().as_deref(), Some("credits"));
        assert_eq!(
            movie(Some(" credits, watch/providers "))
                .unwrap()
                .as_deref(),
            Some("credits,watch/providers")
        );
    }

    #[test]
    fn bad_lists_are_refused_with_a_hint() {
        let err = append_list(ItemKind::Movie, Some("movies.ndjson.part")).unwrap_err();
        assert!(err.to_string().contains("--out FILE"), "{err}");
        for bad in ["credits,,videos", "Credits", "credits;videos", "a b"] {
            assert!(append_list(ItemKind::Movie, Some(bad)).is_err(), "{bad}");
        }
        let many = vec!["images"; 21].join(",");
        assert!(append_list(ItemKind::Movie, Some(&many)).is_err());
    }
}
