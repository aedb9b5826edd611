//! Records and the JSON request bodies that read and write them.
//!
//! Record `n` is the item with partition key `pk` = `"user"` followed by YCSB's FNV hash of `n`
//! (so neighbouring records do not share a key prefix), `--fields` string attributes `field0`,
//! `field1`, … holding `--value-size` random alphanumeric bytes between them, and a number `ver`
//! that read-modify-write increments. The table has `pk` as its only key.
//!
//! Bodies are written straight into a reused buffer: keys, attribute names and payloads are
//! alphanumeric and table names are checked to be `[A-Za-z0-9_.-]`, so nothing needs escaping,
//! and building a request costs no allocation.

use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use crate::rng::{Rng, fnv_hash64};

/// Size of the random pool payloads are cut from, in bytes.
const PAYLOAD_POOL_BYTES: usize = 1 << 20;

/// The partition key attribute.
pub const KEY_ATTRIBUTE: &str = "pk";
/// The version attribute that read-modify-write increments.
pub const VERSION_ATTRIBUTE: &str = "ver";
/// The time-to-live attribute (epoch seconds) of the expired records.
pub const TTL_ATTRIBUTE: &str = "expires";
/// The global secondary index a table task adds.
pub const ADDED_INDEX: &str = "added";

/// The partition key of record `n`.
pub fn key(record: u64) -> String {
    format!("user{}", fnv_hash64(record))
}

/// Random alphanumeric bytes that payloads are sliced from at random offsets, so values vary
/// without generating fresh random bytes per request.
#[derive(Debug, Clone)]
pub struct Payload {
    pool: Arc<[u8]>,
    largest: usize,
}

impl Payload {
    /// A pool from which slices of up to `largest` bytes are cut.
    pub fn new(largest: usize, seed: u64) -> Self {
        const ALPHABET: &[u8; 62] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = Rng::new(seed);
        let pool: Vec<u8> = (0..PAYLOAD_POOL_BYTES + largest)
            .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
            .collect();
        Payload {
            pool: pool.into(),
            largest,
        }
    }

    /// `length` (at most the pool's `largest`) random alphanumeric bytes.
    fn slice(&self, length: usize, rng: &mut Rng) -> &[u8] {
        debug_assert!(
            length <= self.largest,
            "payload slice longer than the pool allows"
        );
        let start = rng.below(PAYLOAD_POOL_BYTES as u64) as usize;
        &self.pool[start..start + length]
    }
}

/// The shape of the records of one table, and the request bodies over them.
#[derive(Debug, Clone)]
pub struct RecordLayout {
    table: String,
    field_sizes: Vec<usize>,
    consistent_read: bool,
    payload: Payload,
    gsis: usize,
    stream: Option<String>,
}

impl RecordLayout {
    /// Records of `table` with `value_size` payload bytes split over `fields` attributes (the
    /// first ones one byte longer when it does not divide evenly). `fields` must be at least 1
    /// and at most `value_size`, so no attribute is empty.
    pub fn new(
        table: &str,
        value_size: usize,
        fields: usize,
        consistent_read: bool,
        seed: u64,
    ) -> Self {
        assert!(
            fields >= 1 && fields <= value_size,
            "every field needs at least one byte"
        );
        let field_sizes: Vec<usize> = (0..fields)
            .map(|i| value_size / fields + usize::from(i < value_size % fields))
            .collect();
        let largest = field_sizes[0];
        RecordLayout {
            table: table.to_owned(),
            field_sizes,
            consistent_read,
            payload: Payload::new(largest, seed),
            gsis: 0,
            stream: None,
        }
    }

    /// The same records in a table created with `gsis` global secondary indexes (`gsi<i>` on
    /// `field<i mod fields>`, projecting everything) and, if `stream` names a view type, a
    /// stream.
    pub fn with_table_shape(mut self, gsis: usize, stream: Option<&str>) -> Self {
        self.gsis = gsis;
        self.stream = stream.map(str::to_owned);
        self
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The CreateTable body: `pk` as the string hash key, on-demand billing, and the global
    /// secondary indexes and stream of [`RecordLayout::with_table_shape`].
    pub fn create_table(&self, out: &mut Vec<u8>) {
        out.clear();
        let _ = write!(
            out,
            r#"{{"TableName":"{}","AttributeDefinitions":[{{"AttributeName":"{KEY_ATTRIBUTE}","AttributeType":"S"}}"#,
            self.table
        );
        let indexed = self.gsis.min(self.field_sizes.len());
        for field in 0..indexed {
            let _ = write!(
                out,
                r#",{{"AttributeName":"field{field}","AttributeType":"S"}}"#
            );
        }
        let _ = write!(
            out,
            r#"],"KeySchema":[{{"AttributeName":"{KEY_ATTRIBUTE}","KeyType":"HASH"}}],"BillingMode":"PAY_PER_REQUEST""#
        );
        if self.gsis > 0 {
            out.extend_from_slice(br#","GlobalSecondaryIndexes":["#);
            for index in 0..self.gsis {
                if index > 0 {
                    out.push(b',');
                }
                let _ = write!(
                    out,
                    r#"{{"IndexName":"gsi{index}","KeySchema":[{{"AttributeName":"field{}","KeyType":"HASH"}}],"Projection":{{"ProjectionType":"ALL"}}}}"#,
                    index % self.field_sizes.len()
                );
            }
            out.push(b']');
        }
        if let Some(view) = &self.stream {
            let _ = write!(
                out,
                r#","StreamSpecification":{{"StreamEnabled":true,"StreamViewType":"{view}"}}"#
            );
        }
        out.push(b'}');
    }

    /// The UpdateTable body that creates index [`ADDED_INDEX`] on `field0`, projecting
    /// everything.
    pub fn add_index(&self, out: &mut Vec<u8>) {
        out.clear();
        let _ = write!(
            out,
            r#"{{"TableName":"{}","AttributeDefinitions":[{{"AttributeName":"field0","AttributeType":"S"}}],"GlobalSecondaryIndexUpdates":[{{"Create":{{"IndexName":"{ADDED_INDEX}","KeySchema":[{{"AttributeName":"field0","KeyType":"HASH"}}],"Projection":{{"ProjectionType":"ALL"}}}}}}]}}"#,
            self.table
        );
    }

    /// The UpdateTimeToLive body that enables time to live on [`TTL_ATTRIBUTE`].
    pub fn enable_ttl(&self, out: &mut Vec<u8>) {
        out.clear();
        let _ = write!(
            out,
            r#"{{"TableName":"{}","TimeToLiveSpecification":{{"Enabled":true,"AttributeName":"{TTL_ATTRIBUTE}"}}}}"#,
            self.table
        );
    }

    /// A body naming only a stream (DescribeStream).
    pub fn stream_only(out: &mut Vec<u8>, stream_arn: &str) {
        out.clear();
        let _ = write!(out, r#"{{"StreamArn":"{stream_arn}"}}"#);
    }

    /// GetShardIterator at TRIM_HORIZON of `shard`.
    pub fn trim_horizon_iterator(out: &mut Vec<u8>, stream_arn: &str, shard: &str) {
        out.clear();
        let _ = write!(
            out,
            r#"{{"StreamArn":"{stream_arn}","ShardId":"{shard}","ShardIteratorType":"TRIM_HORIZON"}}"#
        );
    }

    /// GetRecords of up to `limit` records from `iterator`.
    pub fn get_records(out: &mut Vec<u8>, iterator: &str, limit: u32) {
        out.clear();
        let _ = write!(out, r#"{{"ShardIterator":"{iterator}","Limit":{limit}}}"#);
    }

    /// A body naming only the table (DescribeTable).
    pub fn table_only(&self, out: &mut Vec<u8>) {
        out.clear();
        let _ = write!(out, r#"{{"TableName":"{}"}}"#, self.table);
    }

    /// GetItem of `record`.
    pub fn get_item(&self, out: &mut Vec<u8>, record: u64) {
        out.clear();
        let _ = write!(out, r#"{{"TableName":"{}","Key":"#, self.table);
        write_key(out, record);
        let _ = write!(out, r#","ConsistentRead":{}}}"#, self.consistent_read);
    }

    /// PutItem of the whole of `record` with fresh payload, version 0.
    pub fn put_item(&self, out: &mut Vec<u8>, record: u64, rng: &mut Rng) {
        out.clear();
        let _ = write!(out, r#"{{"TableName":"{}","Item":"#, self.table);
        self.write_item(out, "user", record, rng, None);
        out.push(b'}');
    }

    /// UpdateItem setting one random field of `record` to fresh payload (YCSB updates one field).
    pub fn update_item(&self, out: &mut Vec<u8>, record: u64, rng: &mut Rng) {
        self.write_update(out, record, rng, None);
    }

    /// UpdateItem setting one random field and incrementing the version, on the condition that
    /// the version is still `version` (the second half of a read-modify-write).
    pub fn conditional_update(&self, out: &mut Vec<u8>, record: u64, rng: &mut Rng, version: u64) {
        self.write_update(out, record, rng, Some(version));
    }

    fn write_update(&self, out: &mut Vec<u8>, record: u64, rng: &mut Rng, version: Option<u64>) {
        out.clear();
        let field = rng.below(self.field_sizes.len() as u64) as usize;
        let _ = write!(out, r#"{{"TableName":"{}","Key":"#, self.table);
        write_key(out, record);
        match version {
            None => out.extend_from_slice(br##","UpdateExpression":"SET #f = :v","ExpressionAttributeNames":{"#f":"##),
            Some(_) => out.extend_from_slice(
                br##","UpdateExpression":"SET #f = :v, #ver = #ver + :one","ConditionExpression":"#ver = :read","ExpressionAttributeNames":{"#ver":"ver","#f":"##,
            ),
        }
        let _ = write!(
            out,
            r#""field{field}"}},"ExpressionAttributeValues":{{":v":{{"S":""#
        );
        out.extend_from_slice(self.payload.slice(self.field_sizes[field], rng));
        out.extend_from_slice(b"\"}");
        if let Some(version) = version {
            let _ = write!(out, r#",":one":{{"N":"1"}},":read":{{"N":"{version}"}}"#);
        }
        out.extend_from_slice(b"}}");
    }

    /// Scan of up to `limit` items starting after `record` in the table's (hash) order, as
    /// YCSB's DynamoDB binding scans.
    pub fn scan(&self, out: &mut Vec<u8>, record: u64, limit: u64) {
        out.clear();
        let _ = write!(
            out,
            r#"{{"TableName":"{}","ExclusiveStartKey":"#,
            self.table
        );
        write_key(out, record);
        let _ = write!(
            out,
            r#","Limit":{limit},"ConsistentRead":{}}}"#,
            self.consistent_read
        );
    }

    /// Query for the partition key of `record`.
    pub fn query(&self, out: &mut Vec<u8>, record: u64) {
        out.clear();
        let _ = write!(
            out,
            r#"{{"TableName":"{}","KeyConditionExpression":"{KEY_ATTRIBUTE} = :k","ExpressionAttributeValues":{{":k":{{"S":"user{}"}}}},"ConsistentRead":{}}}"#,
            self.table,
            fnv_hash64(record),
            self.consistent_read
        );
    }

    /// BatchWriteItem putting `records` (at most 25, DynamoDB's limit).
    pub fn batch_write(&self, out: &mut Vec<u8>, records: Range<u64>, rng: &mut Rng) {
        self.write_batch(out, "user", records, rng, None);
    }

    /// BatchWriteItem putting expired records `records` (at most 25): keys `ttl<n>` instead
    /// of `user<n>`, and [`TTL_ATTRIBUTE`] set to `expires` (epoch seconds).
    pub fn batch_write_expired(
        &self,
        out: &mut Vec<u8>,
        records: Range<u64>,
        rng: &mut Rng,
        expires: u64,
    ) {
        self.write_batch(out, "ttl", records, rng, Some(expires));
    }

    fn write_batch(
        &self,
        out: &mut Vec<u8>,
        prefix: &str,
        records: Range<u64>,
        rng: &mut Rng,
        expires: Option<u64>,
    ) {
        debug_assert!(
            records.end - records.start <= 25,
            "BatchWriteItem takes 25 requests"
        );
        out.clear();
        let _ = write!(out, r#"{{"RequestItems":{{"{}":["#, self.table);
        for record in records.clone() {
            if record != records.start {
                out.push(b',');
            }
            out.extend_from_slice(br#"{"PutRequest":{"Item":"#);
            self.write_item(out, prefix, record, rng, expires);
            out.extend_from_slice(b"}}");
        }
        out.extend_from_slice(b"]}}");
    }

    fn write_item(
        &self,
        out: &mut Vec<u8>,
        prefix: &str,
        record: u64,
        rng: &mut Rng,
        expires: Option<u64>,
    ) {
        let _ = write!(
            out,
            r#"{{"{KEY_ATTRIBUTE}":{{"S":"{prefix}{}"}}"#,
            fnv_hash64(record)
        );
        if let Some(expires) = expires {
            let _ = write!(out, r#","{TTL_ATTRIBUTE}":{{"N":"{expires}"}}"#);
        }
        for (field, &size) in self.field_sizes.iter().enumerate() {
            let _ = write!(out, r#","field{field}":{{"S":""#);
            out.extend_from_slice(self.payload.slice(size, rng));
            out.extend_from_slice(b"\"}");
        }
        let _ = write!(out, r#","{VERSION_ATTRIBUTE}":{{"N":"0"}}}}"#);
    }
}

fn write_key(out: &mut Vec<u8>, record: u64) {
    let _ = write!(
        out,
        r#"{{"{KEY_ATTRIBUTE}":{{"S":"user{}"}}}}"#,
        fnv_hash64(record)
    );
}

/// Whether a GetItem response body holds an item (an absent item answers `{}`).
pub fn has_item(body: &[u8]) -> bool {
    // Payloads and names are alphanumeric, so a quoted `"Item"` can only be the member name.
    body.windows(6).any(|window| window == b"\"Item\"")
}

/// The version number of the item in a GetItem response body, if it has one.
pub fn version_of(body: &[u8]) -> Option<u64> {
    let response: serde_json::Value = serde_json::from_slice(body).ok()?;
    response
        .get("Item")?
        .get(VERSION_ATTRIBUTE)?
        .get("N")?
        .as_str()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn parsed(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap_or_else(|error| {
            panic!("{error}: {}", String::from_utf8_lossy(bytes));
        })
    }

    #[test]
    fn put_item_splits_the_value_over_the_fields() {
        let layout = RecordLayout::new("usertable", 10, 3, false, 1);
        let mut out = Vec::new();
        layout.put_item(&mut out, 7, &mut Rng::new(2));
        let body = parsed(&out);
        let item = &body["Item"];
        assert_eq!(body["TableName"], "usertable");
        assert_eq!(item["pk"]["S"], key(7));
        let lengths: Vec<usize> = (0..3)
            .map(|i| item[format!("field{i}")]["S"].as_str().unwrap().len())
            .collect();
        assert_eq!(lengths, vec![4, 3, 3]);
        assert_eq!(item["ver"]["N"], "0");
    }

    #[test]
    fn bodies_are_valid_json_of_the_right_shape() {
        let layout = RecordLayout::new("t-1.x_y", 100, 1, true, 1);
        let mut rng = Rng::new(3);
        let mut out = Vec::new();
        layout.get_item(&mut out, 1);
        assert_eq!(
            parsed(&out),
            json!({"TableName":"t-1.x_y","Key":{"pk":{"S":key(1)}},"ConsistentRead":true})
        );
        layout.update_item(&mut out, 2, &mut rng);
        let update = parsed(&out);
        assert_eq!(update["UpdateExpression"], "SET #f = :v");
        assert_eq!(
            update["ExpressionAttributeValues"][":v"]["S"]
                .as_str()
                .unwrap()
                .len(),
            100
        );
        layout.conditional_update(&mut out, 2, &mut rng, 41);
        let rmw = parsed(&out);
        assert_eq!(rmw["ConditionExpression"], "#ver = :read");
        assert_eq!(rmw["ExpressionAttributeValues"][":read"]["N"], "41");
        assert_eq!(rmw["ExpressionAttributeNames"]["#f"], "field0");
        layout.scan(&mut out, 5, 17);
        assert_eq!(parsed(&out)["Limit"], 17);
        assert_eq!(parsed(&out)["ExclusiveStartKey"]["pk"]["S"], key(5));
        layout.query(&mut out, 6);
        assert_eq!(parsed(&out)["ExpressionAttributeValues"][":k"]["S"], key(6));
        layout.create_table(&mut out);
        assert_eq!(parsed(&out)["KeySchema"][0]["KeyType"], "HASH");
        layout.table_only(&mut out);
        assert_eq!(parsed(&out), json!({"TableName":"t-1.x_y"}));
    }

    #[test]
    fn batch_write_puts_each_record_once() {
        let layout = RecordLayout::new("usertable", 8, 2, false, 1);
        let mut out = Vec::new();
        layout.batch_write(&mut out, 100..125, &mut Rng::new(4));
        let requests = parsed(&out)["RequestItems"]["usertable"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(requests.len(), 25);
        let keys: std::collections::BTreeSet<String> = requests
            .iter()
            .map(|request| {
                request["PutRequest"]["Item"]["pk"]["S"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(keys, (100..125).map(key).collect());
    }

    #[test]
    fn table_shape_and_table_tasks_are_well_formed() {
        let layout = RecordLayout::new("usertable", 8, 2, false, 1)
            .with_table_shape(3, Some("NEW_AND_OLD_IMAGES"));
        let mut out = Vec::new();
        layout.create_table(&mut out);
        let create = parsed(&out);
        let indexes = create["GlobalSecondaryIndexes"].as_array().unwrap();
        let keys: Vec<&str> = indexes
            .iter()
            .map(|i| i["KeySchema"][0]["AttributeName"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["field0", "field1", "field0"]);
        assert_eq!(indexes[2]["IndexName"], "gsi2");
        assert_eq!(create["AttributeDefinitions"].as_array().unwrap().len(), 3);
        assert_eq!(
            create["StreamSpecification"]["StreamViewType"],
            "NEW_AND_OLD_IMAGES"
        );
        layout.add_index(&mut out);
        let update = parsed(&out);
        assert_eq!(
            update["GlobalSecondaryIndexUpdates"][0]["Create"]["IndexName"],
            ADDED_INDEX
        );
        layout.enable_ttl(&mut out);
        assert_eq!(
            parsed(&out)["TimeToLiveSpecification"]["AttributeName"],
            TTL_ATTRIBUTE
        );
        layout.batch_write_expired(&mut out, 0..2, &mut Rng::new(1), 1234);
        let item = &parsed(&out)["RequestItems"]["usertable"][1]["PutRequest"]["Item"];
        assert_eq!(item["expires"]["N"], "1234");
        assert!(item["pk"]["S"].as_str().unwrap().starts_with("ttl"));
        RecordLayout::get_records(&mut out, "abc", 1000);
        assert_eq!(parsed(&out), json!({"ShardIterator":"abc","Limit":1000}));
        RecordLayout::trim_horizon_iterator(&mut out, "arn:x", "shard-1");
        assert_eq!(parsed(&out)["ShardIteratorType"], "TRIM_HORIZON");
        RecordLayout::stream_only(&mut out, "arn:x");
        assert_eq!(parsed(&out), json!({"StreamArn":"arn:x"}));
    }

    #[test]
    fn payloads_differ_between_writes() {
        let layout = RecordLayout::new("usertable", 50, 1, false, 1);
        let mut rng = Rng::new(5);
        let (mut first, mut second) = (Vec::new(), Vec::new());
        layout.put_item(&mut first, 1, &mut rng);
        layout.put_item(&mut second, 1, &mut rng);
        assert_ne!(first, second);
    }

    #[test]
    fn responses_are_read_for_item_and_version() {
        assert!(!has_item(b"{}"));
        let found = br#"{"Item": {"pk": {"S": "user1"}, "ver": {"N": "12"}}}"#;
        assert!(has_item(found));
        assert_eq!(version_of(found), Some(12));
        assert_eq!(version_of(b"{}"), None);
    }
}
