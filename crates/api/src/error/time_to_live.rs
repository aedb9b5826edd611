//! Errors of UpdateTimeToLive and DescribeTimeToLive that need the table's state.

use super::ApiError;
use crate::wire::TableStatus;

impl ApiError {
    /// ValidationException for enabling time to live on a table where it is enabled (or being
    /// enabled) on the same attribute. UpdateTimeToLive is not idempotent.
    pub fn time_to_live_already_enabled() -> Self {
        Self::validation("TimeToLive is already enabled")
    }

    /// ValidationException for disabling time to live on a table where it is disabled.
    pub fn time_to_live_already_disabled() -> Self {
        Self::validation("TimeToLive is already disabled")
    }

    /// ValidationException for enabling or disabling time to live naming another attribute
    /// than the one it is active on; `current` is that attribute. Changing the attribute
    /// takes a disable, then an enable.
    pub fn time_to_live_on_other_attribute(current: &str) -> Self {
        Self::validation(format!(
            "TimeToLive is active on a different AttributeName: current AttributeName is \
             {current}"
        ))
    }

    /// ValidationException for a second UpdateTimeToLive before the previous change has
    /// settled (DynamoDB allows one change per table per hour or so). Retrying later succeeds.
    pub fn time_to_live_modified_too_often() -> Self {
        Self::validation("Time to live has been modified multiple times within a fixed interval")
    }

    /// ValidationException for DescribeTimeToLive on a table that is `CREATING` or `DELETING`.
    pub fn time_to_live_table_not_active(status: TableStatus) -> Self {
        Self::validation(format!(
            "Cannot describe time to live while table is in {status} state: Current table \
             state is {status}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn time_to_live_messages() {
        assert_eq!(
            ApiError::time_to_live_already_enabled().message,
            "TimeToLive is already enabled"
        );
        assert_eq!(
            ApiError::time_to_live_already_disabled().message,
            "TimeToLive is already disabled"
        );
        assert_eq!(
            ApiError::time_to_live_on_other_attribute("expiresAt").message,
            "TimeToLive is active on a different AttributeName: current AttributeName is \
             expiresAt"
        );
        assert_eq!(
            ApiError::time_to_live_modified_too_often().message,
            "Time to live has been modified multiple times within a fixed interval"
        );
        let creating = ApiError::time_to_live_table_not_active(TableStatus::Creating);
        assert_eq!(creating.kind, ErrorKind::Validation);
        assert_eq!(
            creating.message,
            "Cannot describe time to live while table is in CREATING state: Current table \
             state is CREATING"
        );
    }
}
