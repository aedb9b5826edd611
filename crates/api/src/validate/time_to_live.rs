//! Rules of UpdateTimeToLive.

use crate::decode::ValueErrors;
use crate::error::ApiError;
use crate::wire::UpdateTimeToLiveInput;

/// UpdateTimeToLive: an empty attribute name is refused in words of its own (DynamoDB reports
/// it this way rather than as a length constraint). Whether the change fits the table's
/// current state is the engine's to check.
pub(crate) fn update_time_to_live(
    input: &UpdateTimeToLiveInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    if input.time_to_live_specification.attribute_name.is_empty() {
        return Err(ApiError::validation(
            "TimeToLiveSpecification.AttributeName must be non empty",
        ));
    }
    Ok(())
}
