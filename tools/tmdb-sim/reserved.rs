//! Well-known TMDB records that every catalog holds, whatever its size and seed, on every day:
//! the README's examples (movie 550, person 287, "amelie") then work on a simulated mirror as on
//! a real one. They take the first slots, so they are part of the export, discover, the changes
//! lists and the dump like any other record; only their identity (ID, titles, original
//! language, release date, genres) is fixed, and they are never deleted.

/// A reserved movie's fixed facts.
pub struct ReservedMovie {
    pub id: u64,
    pub title: &'static str,
    pub original_title: &'static str,
    /// (year, month, day)
    pub release_date: (i64, i64, i64),
    pub original_language: &'static str,
    pub country: &'static str,
    /// TMDB genre IDs.
    pub genres: &'static [u32],
    pub imdb_id: &'static str,
    pub runtime: u64,
}

/// Movie slots `0..MOVIES.len()`, ascending by ID as every slot is.
pub const MOVIES: &[ReservedMovie] = &[
    ReservedMovie {
        id: 194,
        title: "Amélie",
        original_title: "Le Fabuleux Destin d'Amélie Poulain",
        release_date: (2001, 4, 25),
        original_language: "fr",
        country: "FR",
        genres: &[35, 10749],
        imdb_id: "tt0211915",
        runtime: 122,
    },
    ReservedMovie {
        id: 550,
        title: "Fight Club",
        original_title: "Fight Club",
        release_date: (1999, 10, 15),
        original_language: "en",
        country: "US",
        genres: &[18],
        imdb_id: "tt0137523",
        runtime: 139,
    },
    ReservedMovie {
        id: 603,
        title: "The Matrix",
        original_title: "The Matrix",
        release_date: (1999, 3, 30),
        original_language: "en",
        country: "US",
        genres: &[28, 878],
        imdb_id: "tt0133093",
        runtime: 136,
    },
];

/// The movie slot whose cast always starts with [`PERSON`].
pub const FIGHT_CLUB_SLOT: u64 = 1;

/// A reserved person's fixed facts.
pub struct ReservedPerson {
    pub id: u64,
    pub name: &'static str,
    pub gender: u8,
    pub known_for_department: &'static str,
    pub birthday: (i64, i64, i64),
    pub place_of_birth: &'static str,
    pub imdb_id: &'static str,
}

/// Person slot 0: a regular person (credited in many movies) who always plays in Fight Club.
pub const PERSON: ReservedPerson = ReservedPerson {
    id: 287,
    name: "Brad Pitt",
    gender: 2,
    known_for_department: "Acting",
    birthday: (1963, 12, 18),
    place_of_birth: "Shawnee, Oklahoma, USA",
    imdb_id: "nm0000093",
};

/// The reserved movie of a slot, if any.
pub fn movie(slot: u64) -> Option<&'static ReservedMovie> {
    MOVIES.get(usize::try_from(slot).ok()?)
}

/// The reserved person of a slot, if any.
pub fn person(slot: u64) -> Option<&'static ReservedPerson> {
    (slot == 0).then_some(&PERSON)
}
