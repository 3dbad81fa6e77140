//! The one description of how a TMDB movie or person record maps onto the mirror's tables.
//!
//! `flatten` reads records with it (and names the field a bad line got wrong), `store` writes
//! its rows with SQL built from it, `rebuild` turns the rows back into TMDB's JSON with it.
//! docs/record.md explains the tables; this file is what the code obeys.
//!
//! The position of a field in its table's list is its bit in the table's `absent` column: a
//! field may be added at the end of a list, never moved or removed (stored rows would change
//! meaning).

/// What a field holds in JSON, and so how it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A JSON integer, stored as an SQLite integer.
    Int,
    /// A JSON number, stored as an SQLite real. The value survives, not its spelling: TMDB's
    /// rare `0` for a vote average comes back as `0.0`.
    Real,
    /// A JSON string, stored as text ("" stays "").
    Text,
    /// `true`/`false`, stored as 1/0.
    Bool,
    /// A list of strings (`origin_country`, `also_known_as`), stored as its JSON text.
    Strings,
}

/// What the column does with a JSON null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// Stored as NULL.
    Column,
    /// The column is NOT NULL (older schema versions made `adult` and `video` so): 0 is
    /// stored and the null is kept in the row's `extra`.
    Extra,
}

/// One field of a TMDB object and the column that holds it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The JSON key; `a.b` is key `b` of the object under key `a` (`data.title`).
    pub key: &'static str,
    /// The column name (TMDB's field name but where the schema predates this description).
    pub column: &'static str,
    /// The JSON type.
    pub ty: Ty,
    /// What a null becomes.
    pub nulls: Nulls,
    /// Where the key's `.` is, found at compile time: the rebuild splits every field of every
    /// row it answers.
    dot: Option<usize>,
}

impl Field {
    /// The key inside its sub-object, and that sub-object's key (None for a top-level key).
    pub fn split(&self) -> (Option<&'static str>, &'static str) {
        match self.dot {
            Some(at) => (Some(&self.key[..at]), &self.key[at + 1..]),
            None => (None, self.key),
        }
    }
}

/// The position of the first `.` in `key`.
const fn dot(key: &str) -> Option<usize> {
    let bytes = key.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'.' {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// The role of a table, which decides how its rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `movie`, `people`: one row per record, upserted by `id`.
    Root,
    /// Shared by many records (`genre`, `company`...): upserted by `id`, left alone when the
    /// values are the same.
    Entity,
    /// Hangs off one record: deleted and inserted again whenever the record is loaded.
    Child,
}

/// A table: the columns the code fills (`lead`: keys, positions), then the fields, then
/// `extra` and `absent` where the table has them.
#[derive(Debug)]
pub struct Table {
    /// The table's name.
    pub name: &'static str,
    /// How rows are written.
    pub role: Role,
    /// Columns whose values the caller gives (the record's id, `ord`, `kind`...).
    pub lead: &'static [&'static str],
    /// Columns read from the JSON object.
    pub fields: &'static [Field],
    /// Keys of the object that are not fields but whose absence must be remembered: nested
    /// objects and lists stored in other tables. Their bits follow the fields' bits.
    pub nested: &'static [&'static str],
    /// Whether the table has an `extra` column.
    pub extra: bool,
    /// Whether the table has an `absent` column.
    pub absent: bool,
}

impl Table {
    /// The column of every value a row holds, in row order.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        let tail: &[&str] = match (self.extra, self.absent) {
            (true, true) => &["extra", "absent"],
            (true, false) => &["extra"],
            (false, _) => &[],
        };
        self.lead
            .iter()
            .copied()
            .chain(self.fields.iter().map(|f| f.column))
            .chain(tail.iter().copied())
    }

    /// The bit of a nested key in `absent`.
    pub fn nested_bit(&self, key: &str) -> u32 {
        let at = self.nested.iter().position(|k| *k == key);
        (self.fields.len() + at.expect("a nested key of this table")) as u32
    }
}

const fn f(key: &'static str, ty: Ty) -> Field {
    Field {
        key,
        column: key,
        ty,
        nulls: Nulls::Column,
        dot: dot(key),
    }
}

/// A field stored under another column name.
const fn renamed(key: &'static str, column: &'static str, ty: Ty) -> Field {
    Field {
        key,
        column,
        ty,
        nulls: Nulls::Column,
        dot: dot(key),
    }
}

/// A field whose column is NOT NULL.
const fn flag(key: &'static str) -> Field {
    Field {
        key,
        column: key,
        ty: Ty::Bool,
        nulls: Nulls::Extra,
        dot: dot(key),
    }
}

use Ty::*;

/// The appends of a movie record the mirror has tables for, as `append_to_response` names
/// them (and as the record's keys).
pub const MOVIE_APPENDS: &[&str] = &[
    "credits",
    "keywords",
    "release_dates",
    "external_ids",
    "alternative_titles",
    "translations",
    "videos",
    "images",
    "watch/providers",
];

/// The appends of a person record the mirror has tables for.
pub const PERSON_APPENDS: &[&str] = &["external_ids", "translations", "images"];

/// `/movie/{id}` with its appends. The external IDs live on the movie row (`imdb_id` is the
/// details' own; `external_ids.imdb_id` is remembered as present when it equals it).
pub const MOVIE: Table = Table {
    name: "movie",
    role: Role::Root,
    lead: &["id", "source_hash", "collection_id"],
    fields: &[
        flag("adult"),
        f("backdrop_path", Text),
        f("budget", Int),
        f("homepage", Text),
        f("imdb_id", Text),
        f("origin_country", Strings),
        f("original_language", Text),
        f("original_title", Text),
        f("overview", Text),
        f("popularity", Real),
        f("poster_path", Text),
        f("release_date", Text),
        f("revenue", Int),
        f("runtime", Int),
        f("softcore", Bool),
        f("status", Text),
        f("tagline", Text),
        f("title", Text),
        flag("video"),
        f("vote_average", Real),
        f("vote_count", Int),
        renamed("external_ids.wikidata_id", "wikidata_id", Text),
        renamed("external_ids.facebook_id", "facebook_id", Text),
        renamed("external_ids.instagram_id", "instagram_id", Text),
        renamed("external_ids.twitter_id", "twitter_id", Text),
    ],
    nested: &[
        "belongs_to_collection",
        "genres",
        "production_companies",
        "production_countries",
        "spoken_languages",
        "credits",
        "keywords",
        "release_dates",
        "external_ids",
        "alternative_titles",
        "translations",
        "videos",
        "images",
        "watch/providers",
        "external_ids.imdb_id",
    ],
    extra: true,
    absent: true,
};

/// `/person/{id}` with its appends.
pub const PERSON: Table = Table {
    name: "people",
    role: Role::Root,
    lead: &["id", "source_hash"],
    fields: &[
        flag("adult"),
        f("also_known_as", Strings),
        f("biography", Text),
        f("birthday", Text),
        f("deathday", Text),
        f("gender", Int),
        f("homepage", Text),
        f("imdb_id", Text),
        f("known_for_department", Text),
        f("name", Text),
        f("place_of_birth", Text),
        f("popularity", Real),
        f("profile_path", Text),
        renamed("external_ids.freebase_mid", "freebase_mid", Text),
        renamed("external_ids.freebase_id", "freebase_id", Text),
        renamed("external_ids.tvrage_id", "tvrage_id", Int),
        renamed("external_ids.wikidata_id", "wikidata_id", Text),
        renamed("external_ids.facebook_id", "facebook_id", Text),
        renamed("external_ids.instagram_id", "instagram_id", Text),
        renamed("external_ids.tiktok_id", "tiktok_id", Text),
        renamed("external_ids.twitter_id", "twitter_id", Text),
        renamed("external_ids.youtube_id", "youtube_id", Text),
    ],
    nested: &[
        "external_ids",
        "translations",
        "images",
        "external_ids.imdb_id",
    ],
    extra: true,
    absent: true,
};

/// `genres[]` of a movie; the genre list of `--kind genres` writes the same table.
pub const GENRE: Table = Table {
    name: "genre",
    role: Role::Entity,
    lead: &["id"],
    fields: &[f("name", Text)],
    nested: &[],
    extra: true,
    absent: false,
};

/// `belongs_to_collection`.
pub const COLLECTION: Table = Table {
    name: "collection",
    role: Role::Entity,
    lead: &["id"],
    fields: &[
        f("name", Text),
        f("poster_path", Text),
        f("backdrop_path", Text),
    ],
    nested: &[],
    extra: true,
    absent: false,
};

/// `production_companies[]`.
pub const COMPANY: Table = Table {
    name: "company",
    role: Role::Entity,
    lead: &["id"],
    fields: &[
        f("logo_path", Text),
        f("name", Text),
        f("origin_country", Text),
    ],
    nested: &[],
    extra: true,
    absent: false,
};

/// `keywords.keywords[]`.
pub const KEYWORD: Table = Table {
    name: "keyword",
    role: Role::Entity,
    lead: &["id"],
    fields: &[f("name", Text)],
    nested: &[],
    extra: true,
    absent: false,
};

/// The providers of `watch/providers`; `display_priority` belongs to the movie's listing.
pub const WATCH_PROVIDER: Table = Table {
    name: "watch_provider",
    role: Role::Entity,
    lead: &["id"],
    fields: &[f("logo_path", Text), f("provider_name", Text)],
    nested: &[],
    extra: true,
    absent: false,
};

/// A movie's genres, in order.
pub const MOVIE_GENRE: Table = link("movie_genre", &["movie_id", "ord", "genre_id"]);
/// A movie's production companies, in order.
pub const MOVIE_COMPANY: Table = link("movie_company", &["movie_id", "ord", "company_id"]);
/// A movie's keywords, in order.
pub const MOVIE_KEYWORD: Table = link("movie_keyword", &["movie_id", "ord", "keyword_id"]);
/// A movie's watch providers by country and kind, in order.
pub const MOVIE_WATCH_PROVIDER: Table = Table {
    name: "movie_watch_provider",
    role: Role::Child,
    lead: &["movie_id", "iso_3166_1", "kind", "ord", "provider_id"],
    fields: &[f("display_priority", Int)],
    nested: &[],
    extra: false,
    absent: false,
};
/// The per-country link of `watch/providers`.
pub const WATCH_LINK: Table = link("watch_link", &["movie_id", "iso_3166_1", "link"]);

const fn link(name: &'static str, lead: &'static [&'static str]) -> Table {
    Table {
        name,
        role: Role::Child,
        lead,
        fields: &[],
        nested: &[],
        extra: false,
        absent: false,
    }
}

const fn child(
    name: &'static str,
    lead: &'static [&'static str],
    fields: &'static [Field],
) -> Table {
    Table {
        name,
        role: Role::Child,
        lead,
        fields,
        nested: &[],
        extra: true,
        absent: true,
    }
}

/// `credits.cast[]` and `credits.crew[]`: one description for both (a crew row lacks the
/// cast fields, which its `absent` says). `kind` is `cast` or `crew`.
pub const CREDIT: Table = child(
    "credit",
    &["movie_id", "kind", "ord"],
    &[
        f("credit_id", Text),
        renamed("id", "person_id", Int),
        flag("adult"),
        f("gender", Int),
        f("known_for_department", Text),
        f("name", Text),
        f("original_name", Text),
        f("popularity", Real),
        f("profile_path", Text),
        f("cast_id", Int),
        f("character", Text),
        renamed("order", "cast_order", Int),
        f("department", Text),
        f("job", Text),
    ],
);

/// `production_countries[]`.
pub const MOVIE_COUNTRY: Table = child(
    "movie_country",
    &["movie_id", "ord"],
    &[f("iso_3166_1", Text), f("name", Text)],
);

/// `spoken_languages[]`.
pub const MOVIE_LANGUAGE: Table = child(
    "movie_language",
    &["movie_id", "ord"],
    &[
        f("english_name", Text),
        f("iso_639_1", Text),
        f("name", Text),
    ],
);

/// `release_dates.results[].release_dates[]`, with the country of its group.
pub const RELEASE_DATE: Table = child(
    "release_date",
    &["movie_id", "ord", "iso_3166_1"],
    &[
        f("certification", Text),
        f("descriptors", Strings),
        f("iso_639_1", Text),
        f("note", Text),
        f("release_date", Text),
        f("type", Int),
    ],
);

/// `alternative_titles.titles[]`.
pub const ALTERNATIVE_TITLE: Table = child(
    "alternative_title",
    &["movie_id", "ord"],
    &[f("iso_3166_1", Text), f("title", Text), f("type", Text)],
);

/// `translations.translations[]` of a movie.
pub const TRANSLATION: Table = child(
    "translation",
    &["movie_id", "ord"],
    &[
        f("iso_3166_1", Text),
        f("iso_639_1", Text),
        f("name", Text),
        f("english_name", Text),
        renamed("data.title", "title", Text),
        renamed("data.overview", "overview", Text),
        renamed("data.tagline", "tagline", Text),
        renamed("data.homepage", "homepage", Text),
        renamed("data.runtime", "runtime", Int),
    ],
);

/// `videos.results[]`.
pub const VIDEO: Table = child(
    "video",
    &["movie_id", "ord"],
    &[
        f("id", Text),
        f("iso_639_1", Text),
        f("iso_3166_1", Text),
        f("name", Text),
        f("key", Text),
        f("site", Text),
        f("size", Int),
        f("type", Text),
        f("official", Bool),
        f("published_at", Text),
    ],
);

const IMAGE_FIELDS: &[Field] = &[
    f("aspect_ratio", Real),
    f("file_path", Text),
    f("height", Int),
    f("iso_3166_1", Text),
    f("iso_639_1", Text),
    f("vote_average", Real),
    f("vote_count", Int),
    f("width", Int),
];

/// `images.backdrops[]`, `images.logos[]`, `images.posters[]` of a movie (`kind` is the list).
pub const IMAGE: Table = child("image", &["movie_id", "kind", "ord"], IMAGE_FIELDS);

/// The image lists of a movie's `images`, in the order they are rebuilt.
pub const MOVIE_IMAGE_KINDS: &[&str] = &["backdrops", "logos", "posters"];

/// `translations.translations[]` of a person.
pub const PERSON_TRANSLATION: Table = child(
    "person_translation",
    &["person_id", "ord"],
    &[
        f("iso_3166_1", Text),
        f("iso_639_1", Text),
        f("name", Text),
        f("english_name", Text),
        renamed("data.biography", "biography", Text),
    ],
);

/// `images.profiles[]` of a person.
pub const PERSON_IMAGE: Table = child("person_image", &["person_id", "ord"], IMAGE_FIELDS);

/// Every table that hangs off a movie (what loading it again replaces).
pub const MOVIE_CHILDREN: &[&Table] = &[
    &MOVIE_GENRE,
    &MOVIE_COMPANY,
    &MOVIE_COUNTRY,
    &MOVIE_LANGUAGE,
    &CREDIT,
    &MOVIE_KEYWORD,
    &RELEASE_DATE,
    &ALTERNATIVE_TITLE,
    &TRANSLATION,
    &VIDEO,
    &IMAGE,
    &WATCH_LINK,
    &MOVIE_WATCH_PROVIDER,
];

/// Every table that hangs off a person.
pub const PERSON_CHILDREN: &[&Table] = &[&PERSON_TRANSLATION, &PERSON_IMAGE];

/// Every table of this description, for the checks against the schema.
pub const TABLES: &[&Table] = &[
    &MOVIE,
    &PERSON,
    &GENRE,
    &COLLECTION,
    &COMPANY,
    &KEYWORD,
    &WATCH_PROVIDER,
    &MOVIE_GENRE,
    &MOVIE_COMPANY,
    &MOVIE_COUNTRY,
    &MOVIE_LANGUAGE,
    &CREDIT,
    &MOVIE_KEYWORD,
    &RELEASE_DATE,
    &ALTERNATIVE_TITLE,
    &TRANSLATION,
    &VIDEO,
    &IMAGE,
    &WATCH_LINK,
    &MOVIE_WATCH_PROVIDER,
    &PERSON_TRANSLATION,
    &PERSON_IMAGE,
];
