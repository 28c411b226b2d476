//! A fixed-capacity ring buffer of `f64`, allocated once.

/// The last `capacity` values pushed, oldest first; pushing into a full ring evicts the oldest.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    buf: Box<[f64]>,
    /// Index of the oldest value.
    head: usize,
    len: usize,
}

impl Ring {
    /// An empty ring holding up to `capacity` values (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self { buf: vec![0.0; capacity.max(1)].into_boxed_slice(), head: 0, len: 0 }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Appends `x`; when the ring was full, returns the value it evicted.
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let capacity = self.buf.len();
        if self.len < capacity {
            // head is 0 until the ring first fills, so the slot is simply `len`.
            self.buf[self.len] = x;
            self.len += 1;
            None
        } else {
            let evicted = std::mem::replace(&mut self.buf[self.head], x);
            // A compare instead of `%`: an integer division costs more than the whole push.
            self.head += 1;
            if self.head == capacity {
                self.head = 0;
            }
            Some(evicted)
        }
    }

    /// The values held, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let (older, newer) = if self.len < self.buf.len() {
            (&self.buf[..self.len], &self.buf[..0])
        } else {
            (&self.buf[self.head..], &self.buf[..self.head])
        };
        older.iter().chain(newer).copied()
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_ring_evicts_the_oldest_value() {
        let mut ring = Ring::new(3);
        assert_eq!([ring.push(1.0), ring.push(2.0), ring.push(3.0)], [None, None, None]);
        assert!(ring.is_full());
        assert_eq!(ring.push(4.0), Some(1.0));
        assert_eq!(ring.iter().collect::<Vec<_>>(), [2.0, 3.0, 4.0]);
        ring.clear();
        assert_eq!(ring.len(), 0);
    }

    #[test]
    fn capacity_zero_holds_one_value() {
        let mut ring = Ring::new(0);
        assert_eq!(ring.capacity(), 1);
        ring.push(1.0);
        assert_eq!(ring.push(2.0), Some(1.0));
    }
}
