//! Deterministic randomness: every value of the catalog is a pure function of the seed and of
//! where it is used (a tag, a slot, a day), so any movie or person can be generated on its own,
//! in any order, on any thread, and always comes out the same.

/// SplitMix64's finalizer: a fast, well-mixed 64-bit hash.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash of a sequence of words (seed, tag, slot, day...).
pub fn hash(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x243f_6a88_85a3_08d3, |acc, &p| mix(acc ^ p))
}

/// True with probability `per_mille / 1000` for this combination of words.
pub fn chance(parts: &[u64], per_mille: u64) -> bool {
    hash(parts) % 1000 < per_mille
}

/// A small stream of random numbers seeded from a hash.
pub struct Rng(u64);

impl Rng {
    pub fn new(parts: &[u64]) -> Rng {
        Rng(hash(parts))
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Tags that keep the random streams of different uses apart.
pub mod tag {
    pub const MOVIE: u64 = 1;
    pub const MOVIE_ID: u64 = 2;
    pub const MOVIE_GONE: u64 = 3;
    pub const MOVIE_CHANGE: u64 = 4;
    pub const MOVIE_DELETE: u64 = 5;
    pub const CREDITS: u64 = 6;
    pub const CREDIT_EDIT: u64 = 7;
    pub const PERSON: u64 = 8;
    pub const PERSON_ID: u64 = 9;
    pub const PERSON_GONE: u64 = 10;
    pub const PERSON_CHANGE: u64 = 11;
    pub const PERSON_DELETE: u64 = 12;
    pub const TITLE_CHANGE: u64 = 13;
    pub const FAULT: u64 = 14;
    pub const ENTITY: u64 = 15;
    pub const APPEND: u64 = 16;
    pub const PERSON_APPEND: u64 = 17;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(Rng::new(&[1, 2]), |r, _| Some(r.next()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(Rng::new(&[1, 2]), |r, _| Some(r.next()))
            .collect();
        let c: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(Rng::new(&[1, 3]), |r, _| Some(r.next()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(hash(&[1, 2]), hash(&[2, 1]));
    }
}
