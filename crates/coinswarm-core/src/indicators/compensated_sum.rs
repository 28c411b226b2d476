//! Neumaier-compensated summation.

/// A running sum that carries the low-order bits each addition rounds away (Neumaier's
/// variant of Kahan summation), so adding and later subtracting the same values returns to
/// the exact starting sum even when they differ from it by many orders of magnitude.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() { (self.sum - t) + x } else { (x - t) + self.sum };
        self.sum = t;
    }

    pub(crate) fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

impl FromIterator<f64> for CompensatedSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut sum = Self::default();
        iter.into_iter().for_each(|x| sum.add(x));
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_small_terms_next_to_large_ones() {
        let sum: CompensatedSum = [1e16, 0.1, -1e16, 0.2].into_iter().collect();
        assert_eq!(sum.value(), 0.1 + 0.2);
    }
}
