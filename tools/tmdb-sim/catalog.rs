//! The synthetic catalog: which movie and person IDs exist on which simulated day.
//!
//! Everything is a pure function of `--seed`, `--movies` and the day number, so a catalog of
//! a million movies "exists" at once without being built: an ID is mapped to a slot, and the
//! slot's facts are hashed when asked for. Only the list of what changed on each simulated day
//! is computed ahead (see [`DayEffects`]); it is what the changes endpoints serve.
//!
//! Days: day 0 is `--today`; each mutation day d is dated `--today + d`. A slot is born on a
//! day (0 for the initial catalog), may be deleted on a later day, and may change on any day
//! in between.

use crate::reserved;
use crate::rng::{Rng, chance, hash, tag};

/// Per mille of the initial movies that are already deleted (they answer 404 on day 0).
const MOVIE_GONE_AT_START: u64 = 20;
/// Per mille of the initial people that are already deleted.
const PERSON_GONE_AT_START: u64 = 10;
/// Per mille of movies that change on a simulated day.
pub const MOVIE_CHANGE: u64 = 10;
/// Daily probability that a live movie is deleted (0.2%).
const MOVIE_DELETE: f64 = 0.002;
/// Per mille of people that change on a simulated day.
pub const PERSON_CHANGE: u64 = 10;
/// Daily probability that a live person is deleted (0.1%).
const PERSON_DELETE: f64 = 0.001;

/// Slots taken by the reserved movies, and the highest reserved movie ID.
const RESERVED_MOVIES: u64 = reserved::MOVIES.len() as u64;
const LAST_RESERVED_MOVIE: u64 = reserved::MOVIES[reserved::MOVIES.len() - 1].id;

/// The catalog's fixed parameters.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub seed: u64,
    /// Movies on day 0 (deleted ones included).
    pub movies: u64,
    /// Day 0 as a day number (days since 1970-01-01).
    pub today: i64,
}

impl Catalog {
    pub fn new(seed: u64, movies: u64, today: i64) -> Catalog {
        Catalog {
            seed,
            movies: movies.max(1),
            today,
        }
    }

    /// New movies per simulated day (~0.5%).
    pub fn movies_added_per_day(&self) -> u64 {
        (self.movies / 200).max(1)
    }

    /// People on day 0: about three per movie.
    pub fn people_base(&self) -> u64 {
        self.movies * 3
    }

    /// New people per simulated day: two per new movie, credited by it.
    pub fn people_added_per_day(&self) -> u64 {
        self.movies_added_per_day() * 2
    }

    /// Movie slots that exist (alive or not) by `day`.
    pub fn movie_slots(&self, day: u32) -> u64 {
        self.movies + u64::from(day) * self.movies_added_per_day()
    }

    /// Person slots that exist by `day`.
    pub fn person_slots(&self, day: u32) -> u64 {
        self.people_base() + u64::from(day) * self.people_added_per_day()
    }

    /// Slots are numbered densely; IDs are sparse (one or two unused numbers between
    /// neighbours, like TMDB's), ascending with the slot, so new slots get new, higher IDs. The
    /// first slots hold the reserved records' IDs; the others count on from the last of them.
    pub fn movie_id(&self, slot: u64) -> u64 {
        match reserved::movie(slot) {
            Some(m) => m.id,
            None => {
                let n = slot - RESERVED_MOVIES;
                LAST_RESERVED_MOVIE + 2 * n + 1 + hash(&[self.seed, tag::MOVIE_ID, slot]) % 2
            }
        }
    }

    pub fn movie_slot(&self, id: u64) -> Option<u64> {
        if let Some(i) = reserved::MOVIES.iter().position(|m| m.id == id) {
            return Some(i as u64);
        }
        let slot = id.checked_sub(LAST_RESERVED_MOVIE + 1)? / 2 + RESERVED_MOVIES;
        (self.movie_id(slot) == id).then_some(slot)
    }

    pub fn person_id(&self, slot: u64) -> u64 {
        match reserved::person(slot) {
            Some(p) => p.id,
            None => {
                reserved::PERSON.id
                    + 3 * (slot - 1)
                    + 1
                    + hash(&[self.seed, tag::PERSON_ID, slot]) % 3
            }
        }
    }

    pub fn person_slot(&self, id: u64) -> Option<u64> {
        if id == reserved::PERSON.id {
            return Some(0);
        }
        let slot = id.checked_sub(reserved::PERSON.id + 1)? / 3 + 1;
        (self.person_id(slot) == id).then_some(slot)
    }

    pub fn movie_born(&self, slot: u64) -> u32 {
        if slot < self.movies {
            0
        } else {
            ((slot - self.movies) / self.movies_added_per_day() + 1) as u32
        }
    }

    pub fn person_born(&self, slot: u64) -> u32 {
        let base = self.people_base();
        if slot < base {
            0
        } else {
            ((slot - base) / self.people_added_per_day() + 1) as u32
        }
    }

    /// The day a movie slot is deleted (0 = deleted before the simulation starts).
    pub fn movie_deleted_on(&self, slot: u64) -> u32 {
        if reserved::movie(slot).is_some() {
            return u32::MAX;
        }
        let born = self.movie_born(slot);
        if born == 0 && chance(&[self.seed, tag::MOVIE_GONE, slot], MOVIE_GONE_AT_START) {
            return 0;
        }
        born + geometric(hash(&[self.seed, tag::MOVIE_DELETE, slot]), MOVIE_DELETE)
    }

    pub fn person_deleted_on(&self, slot: u64) -> u32 {
        if reserved::person(slot).is_some() {
            return u32::MAX;
        }
        let born = self.person_born(slot);
        if born == 0 && chance(&[self.seed, tag::PERSON_GONE, slot], PERSON_GONE_AT_START) {
            return 0;
        }
        // Only people with a single credit are deleted later on (duplicates merged away, in
        // TMDB's terms), so a deletion touches one movie rather than dozens.
        if slot < self.regular_people() {
            return u32::MAX;
        }
        born + geometric(hash(&[self.seed, tag::PERSON_DELETE, slot]), PERSON_DELETE)
    }

    /// People `0..2N` are drawn into many credits; each person of `2N..3N` has one credit, in
    /// the movie of slot `person - 2N`, and so have the people added later.
    pub fn regular_people(&self) -> u64 {
        self.movies * 2
    }

    /// Whether the slot exists and answers 200 on `day`.
    pub fn movie_alive(&self, slot: u64, day: u32) -> bool {
        slot < self.movie_slots(day)
            && self.movie_born(slot) <= day
            && self.movie_deleted_on(slot) > day
    }

    pub fn person_alive(&self, slot: u64, day: u32) -> bool {
        slot < self.person_slots(day)
            && self.person_born(slot) <= day
            && self.person_deleted_on(slot) > day
    }

    /// Whether the slot existed once and is deleted by `day` (it answers 404 and is listed in
    /// the dump's gone files).
    pub fn movie_gone(&self, slot: u64, day: u32) -> bool {
        slot < self.movie_slots(day) && self.movie_deleted_on(slot) <= day
    }

    pub fn person_gone(&self, slot: u64, day: u32) -> bool {
        slot < self.person_slots(day) && self.person_deleted_on(slot) <= day
    }

    /// Whether the movie's own record changes on `day` (title, popularity, votes, credits).
    pub fn movie_changes_on(&self, slot: u64, day: u32) -> bool {
        day > self.movie_born(slot)
            && chance(
                &[self.seed, tag::MOVIE_CHANGE, slot, u64::from(day)],
                MOVIE_CHANGE,
            )
    }

    pub fn person_changes_on(&self, slot: u64, day: u32) -> bool {
        day > self.person_born(slot)
            && chance(
                &[self.seed, tag::PERSON_CHANGE, slot, u64::from(day)],
                PERSON_CHANGE,
            )
    }

    /// The days up to `day` on which the movie's own record changed, oldest first.
    pub fn movie_change_days(&self, slot: u64, day: u32) -> Vec<u32> {
        (self.movie_born(slot) + 1..=day)
            .filter(|&d| self.movie_changes_on(slot, d))
            .collect()
    }

    /// The last day up to `day` on which the person's record changed (their birth day if never).
    pub fn person_version(&self, slot: u64, day: u32) -> u32 {
        (self.person_born(slot) + 1..=day)
            .rev()
            .find(|&d| self.person_changes_on(slot, d))
            .unwrap_or(self.person_born(slot))
    }

    /// The date of a simulated day.
    pub fn date_of(&self, day: u32) -> i64 {
        self.today + i64::from(day)
    }

    /// A stream of random numbers for one use of one slot.
    pub fn rng(&self, parts: &[u64]) -> Rng {
        let mut all = Vec::with_capacity(parts.len() + 1);
        all.push(self.seed);
        all.extend_from_slice(parts);
        Rng::new(&all)
    }
}

/// Days until an event of daily probability `p` first happens (at least 1), from a hash: one
/// draw of a geometric distribution, so "deleted on which day" costs O(1) for any horizon.
fn geometric(h: u64, p: f64) -> u32 {
    let u = ((h >> 11) as f64 + 1.0) / (1u64 << 53) as f64; // (0, 1]
    let days = (u.ln() / (1.0 - p).ln()).floor() + 1.0;
    days.min(f64::from(u32::MAX / 2)) as u32
}

/// What happened to the catalog on one simulated day: the IDs the changes endpoints list for
/// that day's date.
#[derive(Debug, Default, Clone)]
pub struct DayEffects {
    pub movie: KindEffects,
    pub person: KindEffects,
}

/// Changed, added and deleted IDs of one kind, each ascending.
#[derive(Debug, Default, Clone)]
pub struct KindEffects {
    pub changed: Vec<u64>,
    pub added: Vec<u64>,
    pub deleted: Vec<u64>,
}

impl KindEffects {
    /// Every ID touched that day.
    pub fn all(&self) -> impl Iterator<Item = u64> + '_ {
        self.changed
            .iter()
            .chain(&self.added)
            .chain(&self.deleted)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_back_to_their_slots_and_gaps_map_to_none() {
        let cat = Catalog::new(7, 1000, 20_000);
        let mut last = 0;
        for slot in 0..3000 {
            let id = cat.movie_id(slot);
            assert!(id > last);
            last = id;
            assert_eq!(cat.movie_slot(id), Some(slot));
            assert_eq!(cat.person_slot(cat.person_id(slot)), Some(slot));
        }
        let gaps = (1..2000).filter(|&id| cat.movie_slot(id).is_none()).count();
        assert!(gaps > 500, "{gaps}");
        for (slot, m) in crate::reserved::MOVIES.iter().enumerate() {
            assert_eq!(cat.movie_id(slot as u64), m.id);
            assert_eq!(cat.movie_slot(m.id), Some(slot as u64));
            assert_eq!(cat.movie_deleted_on(slot as u64), u32::MAX);
        }
        assert_eq!(cat.person_id(0), 287);
        assert_eq!(cat.person_deleted_on(0), u32::MAX);
    }

    #[test]
    fn about_two_percent_of_the_initial_movies_are_deleted() {
        let cat = Catalog::new(1, 10_000, 20_000);
        let gone = (0..10_000).filter(|&s| !cat.movie_alive(s, 0)).count();
        assert!((100..300).contains(&gone), "{gone}");
        let later = (0..10_000).filter(|&s| !cat.movie_alive(s, 30)).count();
        assert!(later > gone);
    }
}
