//! A fast hasher for the engine's internal maps: node addresses, oids, pre-hashed join keys and
//! short catalog strings, hashed per row. A multiply per 8-byte word instead of SipHash; not for
//! keys chosen to collide (the simulator's data is its own user's).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default)]
pub struct FastHasher(u64);

impl FastHasher {
    fn mix(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n ^ (n >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }
    fn write_i64(&mut self, n: i64) {
        self.mix(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
    fn write_isize(&mut self, n: isize) {
        self.mix(n as u64);
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_nearby_keys_differ() {
        let hash = |s: &str| {
            let mut h = FastHasher::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash("attname"), hash("attname"));
        assert_ne!(hash("id"), hash("ie"));
        assert_ne!(hash("created_at"), hash("created_as"));
        let mut m: FastMap<&str, usize> = FastMap::default();
        for (i, k) in ["id", "name", "amount", "created_at", "flag"].iter().enumerate() {
            m.insert(k, i);
        }
        assert_eq!(m.get("created_at"), Some(&3));
        assert_eq!(m.get("flags"), None);
    }
}
