//! The validation split, carved from the training samples and never from a test segment:
//! the latest `fraction` of them by decision time. Training samples whose outcome was only
//! known after the first validation decision are dropped (an embargo), so no validation bar
//! is inside a training label.

use coinswarm_core::learned::TrainingSample;

/// Training and validation samples, each oldest first.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    pub train: &'a [TrainingSample],
    pub validation: &'a [TrainingSample],
}

/// Splits `samples` (oldest first) for early stopping; `None` when either side would be empty.
pub fn split_for_validation(samples: &[TrainingSample], fraction: f64) -> Option<Split<'_>> {
    let validation_len = ((samples.len() as f64) * fraction).ceil() as usize;
    let at = samples.len().checked_sub(validation_len)?;
    let validation = &samples[at..];
    let first_validation = validation.first()?.decided_ms;
    let train_end = samples[..at].partition_point(|s| s.horizon_end_ms <= first_validation);
    let train = &samples[..train_end];
    (!train.is_empty()).then_some(Split { train, validation })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(decided_ms: i64) -> TrainingSample {
        TrainingSample { decided_ms, horizon_end_ms: decided_ms + 24, inputs: vec![0.0], outcome: 0.0 }
    }

    #[test]
    fn validation_is_the_latest_share_and_no_training_label_reaches_into_it() {
        let samples: Vec<TrainingSample> = (0..100).map(sample).collect();
        let split = split_for_validation(&samples, 0.2).unwrap();
        assert_eq!(split.validation.len(), 20);
        assert_eq!(split.validation[0].decided_ms, 80);
        assert!(split.train.iter().all(|s| s.horizon_end_ms <= 80));
        assert_eq!(split.train.len(), 57, "decisions 0..=56 end by 80");
        assert!(split_for_validation(&samples[..10], 0.2).is_none(), "the embargo leaves nothing to train on");
    }
}
