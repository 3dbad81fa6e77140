//! Credits: who worked on a movie, on a given day, and the bodies of `/3/movie/{id}/credits`
//! and of the appended `credits` object (docs/tmdb.md, "Endpoints we use").
//!
//! A movie's credits are generated in two steps: [`raw_credits`] decides who holds which role
//! under which credit_id (cheap: used to find the movies a deleted person touches), then the
//! text (names, characters, jobs) is rendered for the answer.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::person::{self, PersonFacts};
use crate::rng::{Rng, chance, hash, tag};
use crate::{movie, reserved, text};

/// Crew (department, job) pairs, with the departments TMDB uses (docs/tmdb.md, "Endpoints we use").
const JOBS: &[(&str, &str)] = &[
    ("Directing", "Director"),
    ("Writing", "Screenplay"),
    ("Writing", "Novel"),
    ("Production", "Producer"),
    ("Production", "Executive Producer"),
    ("Production", "Casting"),
    ("Editing", "Editor"),
    ("Camera", "Director of Photography"),
    ("Camera", "Steadicam Operator"),
    ("Sound", "Original Music Composer"),
    ("Sound", "Sound Re-Recording Mixer"),
    ("Art", "Production Design"),
    ("Art", "Set Decoration"),
    ("Costume & Make-Up", "Costume Design"),
    ("Costume & Make-Up", "Makeup Artist"),
    ("Visual Effects", "Visual Effects Supervisor"),
    ("Lighting", "Gaffer"),
    ("Crew", "Stunt Coordinator"),
];

/// One credit before its text is rendered: who, in which role, under which credit_id.
#[derive(Debug, Clone)]
pub struct RawCredit {
    /// The day the credit was added and its number that day: the credit_id hashes them.
    pub day: u32,
    pub n: u32,
    pub person: u64,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub enum Role {
    Cast { cast_id: u64, order: u64 },
    Crew { job: usize },
}

/// Credits being assembled: numbers the credits added on each day (the pair names the
/// credit_id) and keeps the cast `order` increasing.
struct Draft {
    out: Vec<RawCredit>,
    day: u32,
    n: u32,
    next_order: u64,
}

impl Draft {
    fn cast(&mut self, person: u64, cast_id: u64) {
        let role = Role::Cast {
            cast_id,
            order: self.next_order,
        };
        self.next_order += 1;
        self.push(person, role);
    }

    fn crew(&mut self, person: u64, job: usize) {
        self.push(person, Role::Crew { job });
    }

    fn push(&mut self, person: u64, role: Role) {
        self.out.push(RawCredit {
            day: self.day,
            n: self.n,
            person,
            role,
        });
        self.n += 1;
    }
}

/// The movie's credits on `day`, before text: its day-of-birth credits, then the edits of each
/// change day, minus credits of people deleted by `day` (TMDB drops a deleted person's credits,
/// and the simulator lists the movie as changed that day).
pub fn raw_credits(cat: &Catalog, slot: u64, day: u32) -> Vec<RawCredit> {
    let born = cat.movie_born(slot);
    let mut rng = cat.rng(&[tag::CREDITS, slot, 1]);
    // Most movies are small, a few are huge (docs/tmdb.md, "Endpoints we use": 167 cast / 560
    // crew).
    let size = movie::fame(cat, slot);
    let cast_n = (200.0 * size * (0.5 + 0.5 * rng.unit())).round() as u32;
    let crew_n = (600.0 * size * (0.5 + 0.5 * rng.unit())).round() as u32;
    let out = Vec::with_capacity((cast_n + crew_n) as usize + 8);
    let mut draft = Draft {
        out,
        day: born,
        n: 0,
        next_order: 0,
    };
    for i in 0..cast_n {
        // Unique per movie, not consecutive, as TMDB's are.
        let cast_id = 2 * u64::from(draft.n) + 1 + rng.below(2);
        let person = if i == 0 && slot == reserved::FIGHT_CLUB_SLOT {
            0
        } else {
            draw_person(cat, &mut rng)
        };
        draft.cast(person, cast_id);
    }
    let mut director = 0;
    for i in 0..crew_n {
        // The second crew row repeats the first person in another job: one person holding
        // several crew credits on one movie is common (docs/tmdb.md, "Endpoints we use").
        match i {
            0 => {
                director = draw_person(cat, &mut rng);
                draft.crew(director, 0);
            }
            1 => draft.crew(director, 1),
            _ => {
                let person = draw_person(cat, &mut rng);
                draft.crew(person, rng.below(JOBS.len() as u64) as usize);
            }
        }
    }
    if born == 0 {
        // This movie's one-credit person (see `only_movie_of`).
        let person = cat.regular_people() + slot;
        if rng.chance(500) {
            draft.cast(person, 2 * u64::from(draft.n) + 1);
        } else {
            draft.crew(person, rng.below(JOBS.len() as u64) as usize);
        }
    } else {
        // The people born on a movie's day of birth appear in that day's new movies.
        let per_day = cat.movies_added_per_day();
        let index = (slot - cat.movies) % per_day;
        let first = cat.people_base() + u64::from(born - 1) * cat.people_added_per_day();
        for q in (index..cat.people_added_per_day()).step_by(per_day as usize) {
            if q % 2 == 0 {
                draft.cast(first + q, 2 * u64::from(draft.n) + 1);
            } else {
                draft.crew(first + q, 1);
            }
        }
    }
    for d in cat.movie_change_days(slot, day) {
        edit(cat, slot, d, &mut draft);
    }
    let mut out = draft.out;
    out.retain(|c| cat.person_alive(c.person, day));
    out
}

/// A change day's edit of the credits: about 3% removed, up to two cast and two crew added.
fn edit(cat: &Catalog, slot: u64, d: u32, draft: &mut Draft) {
    let day = u64::from(d);
    draft.out.retain(|c| {
        is_reserved_credit(slot, c)
            || !chance(
                &[
                    cat.seed,
                    tag::CREDIT_EDIT,
                    slot,
                    day,
                    u64::from(c.day),
                    u64::from(c.n),
                ],
                30,
            )
    });
    draft.day = d;
    draft.n = 0;
    let mut rng = cat.rng(&[tag::CREDIT_EDIT, slot, day]);
    for _ in 0..rng.below(3) {
        // Above any cast_id of earlier days (a movie has at most 200 cast, numbered below 1000).
        let cast_id = 1000 * day + u64::from(draft.n);
        draft.cast(draw_person(cat, &mut rng), cast_id);
    }
    for _ in 0..rng.below(3) {
        let job = rng.below(JOBS.len() as u64) as usize;
        draft.crew(draw_person(cat, &mut rng), job);
    }
}

/// Fight Club's first cast credit (person 287, Brad Pitt), which no edit removes.
fn is_reserved_credit(slot: u64, c: &RawCredit) -> bool {
    slot == reserved::FIGHT_CLUB_SLOT && c.day == 0 && c.n == 0
}

/// The one movie that can credit a person outside the regular pool: person `2N + i` is
/// credited by movie `i`, and a person born on day d by one of day d's new movies (see
/// [`raw_credits`]). `None` for regular people, who are credited anywhere. Only such people are
/// deleted after day 0, which is what makes a day's effects cheap to find.
pub fn only_movie_of(cat: &Catalog, person: u64) -> Option<u64> {
    let regular = cat.regular_people();
    let base = cat.people_base();
    if person < regular {
        None
    } else if person < base {
        Some(person - regular)
    } else {
        let born = (person - base) / cat.people_added_per_day();
        let q = (person - base) % cat.people_added_per_day();
        Some(cat.movies + born * cat.movies_added_per_day() + q % cat.movies_added_per_day())
    }
}

/// A person slot of the regular pool, skewed so that some people work on many movies.
fn draw_person(cat: &Catalog, rng: &mut Rng) -> u64 {
    let base = cat.regular_people();
    ((base as f64 * rng.unit().powf(1.5)) as u64).min(base - 1)
}

/// `/3/movie/{id}/credits` (with `id`) or the appended `credits` object (without).
#[derive(Serialize)]
pub struct Credits {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    cast: Vec<CastItem>,
    crew: Vec<CrewItem>,
}

#[derive(Serialize)]
struct CastItem {
    adult: bool,
    gender: u8,
    id: u64,
    known_for_department: &'static str,
    name: String,
    original_name: String,
    popularity: f64,
    profile_path: Option<String>,
    cast_id: u64,
    character: String,
    credit_id: String,
    order: u64,
}

#[derive(Serialize)]
struct CrewItem {
    adult: bool,
    gender: u8,
    id: u64,
    known_for_department: &'static str,
    name: String,
    original_name: String,
    popularity: f64,
    profile_path: Option<String>,
    credit_id: String,
    department: &'static str,
    job: &'static str,
}

/// The credits on `day`; `id` is the movie ID for the standalone endpoint, `None` when
/// appended to the details.
pub fn credits(cat: &Catalog, slot: u64, day: u32, id: Option<u64>) -> Credits {
    let mut cast = Vec::new();
    let mut crew = Vec::new();
    for c in raw_credits(cat, slot, day) {
        let p: PersonFacts = person::facts(cat, c.person);
        let credit_id = credit_id(cat, slot, &c);
        match c.role {
            Role::Cast { cast_id, order } => {
                let mut rng = cat.rng(&[tag::CREDITS, slot, u64::from(c.day), u64::from(c.n)]);
                let character = match rng.below(20) {
                    0 | 1 => String::new(),
                    2 => "Self".to_owned(),
                    3 => format!("{} (voice)", text::name(&mut rng).0),
                    _ => text::name(&mut rng).0,
                };
                cast.push(CastItem {
                    adult: p.adult,
                    gender: p.gender,
                    id: p.id,
                    known_for_department: p.known_for_department,
                    name: p.name,
                    original_name: p.original_name,
                    popularity: p.popularity,
                    profile_path: p.profile_path,
                    cast_id,
                    character,
                    credit_id,
                    order,
                })
            }
            Role::Crew { job } => crew.push(CrewItem {
                adult: p.adult,
                gender: p.gender,
                id: p.id,
                known_for_department: p.known_for_department,
                name: p.name,
                original_name: p.original_name,
                popularity: p.popularity,
                profile_path: p.profile_path,
                credit_id,
                department: JOBS[job].0,
                job: JOBS[job].1,
            }),
        }
    }
    Credits { id, cast, crew }
}

/// 24 lowercase hex digits, unique per credit (docs/tmdb.md, "Endpoints we use").
fn credit_id(cat: &Catalog, slot: u64, c: &RawCredit) -> String {
    let a = hash(&[
        cat.seed,
        tag::CREDITS,
        slot,
        u64::from(c.day),
        u64::from(c.n),
        1,
    ]);
    let b = hash(&[
        cat.seed,
        tag::CREDITS,
        slot,
        u64::from(c.day),
        u64::from(c.n),
        2,
    ]);
    format!("{:016x}{:08x}", a, b >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_outside_the_regular_pool_are_credited_by_their_one_movie_only() {
        let cat = Catalog::new(5, 400, 20_000);
        let day = 6;
        let mut credited = 0;
        for slot in 0..cat.movie_slots(day) {
            if !cat.movie_alive(slot, day) {
                continue;
            }
            for c in raw_credits(&cat, slot, day) {
                if let Some(only) = only_movie_of(&cat, c.person) {
                    assert_eq!(
                        only, slot,
                        "person slot {} credited by movie slot {slot}",
                        c.person
                    );
                    credited += 1;
                }
            }
        }
        assert!(credited > 400, "{credited}");
    }
}
