//! The value stored for an item: its DynamoDB size, then the item.
//!
//! ```text
//! size: u32 LE (DynamoDB's item size in bytes) | item: ferrodyn_model::codec encoding
//! ```
//!
//! The size up front lets a write that replaces or deletes an item account for the old version
//! (statistics, capacity units) without decoding it.

use ferrodyn_api::ApiResult;
use ferrodyn_model::{Item, codec};

use crate::table_ops::internal;

/// Bytes before the item's encoding.
const HEADER_BYTES: usize = 4;

/// The stored form of `item`, whose DynamoDB size is `size`.
pub fn encode(item: &Item, size: usize) -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER_BYTES + size + 32);
    let size = u32::try_from(size).expect("items are at most 400 KB");
    value.extend_from_slice(&size.to_le_bytes());
    codec::encode_item(item, &mut value);
    value
}

/// The DynamoDB size of the stored item.
pub fn size(value: &[u8]) -> ApiResult<usize> {
    let header: [u8; HEADER_BYTES] = value
        .get(..HEADER_BYTES)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| internal("a stored item is shorter than its header"))?;
    Ok(u32::from_le_bytes(header) as usize)
}

/// The stored item.
pub fn decode(value: &[u8]) -> ApiResult<Item> {
    let body = value
        .get(HEADER_BYTES..)
        .ok_or_else(|| internal("a stored item is shorter than its header"))?;
    codec::decode_item(body).map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodyn_model::AttributeValue;
    use ferrodyn_model::size::item_size;

    #[test]
    fn round_trip_keeps_item_and_size() {
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::S("a".into()));
        item.insert("n".into(), AttributeValue::N("1.5".parse().unwrap()));
        let value = encode(&item, item_size(&item));
        assert_eq!(size(&value).unwrap(), item_size(&item));
        assert_eq!(decode(&value).unwrap(), item);
        assert!(size(&value[..2]).is_err());
    }
}
