//! The model's errors as DynamoDB reports them: each is a ValidationException whose message is
//! the error's `Display` (which the model words as DynamoDB does).

use ferrodyn_model::expression::{ExpressionError, LegacyError, UpdateError};
use ferrodyn_model::json::ValueError;
use ferrodyn_model::key::KeyError;
use ferrodyn_model::number::NumberError;
use ferrodyn_model::size::SizeError;

use crate::error::ApiError;

macro_rules! validation_from {
    ($($error:ty),*) => {
        $(
            impl From<$error> for ApiError {
                fn from(error: $error) -> ApiError {
                    ApiError::validation(error.to_string())
                }
            }
        )*
    };
}

validation_from!(
    KeyError,
    SizeError,
    ValueError,
    NumberError,
    ExpressionError,
    LegacyError,
    UpdateError
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn model_errors_are_validation_errors_with_their_message() {
        let error = ApiError::from(KeyError::SchemaMismatch);
        assert_eq!(error.kind, ErrorKind::Validation);
        assert_eq!(
            error.message,
            "The provided key element does not match the schema"
        );
        let error = ApiError::from(SizeError::ItemTooLarge);
        assert_eq!(
            error.message,
            "Item size has exceeded the maximum allowed size"
        );
    }
}
