import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { decodeDocuments, encodeDocuments, indexSpecs } from '../../adapters/mongo-dump.js';

const { ObjectId, Decimal128, Binary, Long, Int32, Double, UUID } = BSON;

// No MongoDB server exists on this machine: these check the archive format of mongo-dump.ts
// (canonical EJSON through a JSON archive line) without one. The restore against a server is UNVERIFIED.
describe('MongoDB dump format: documents in canonical EJSON keep their BSON types through the JSON archive', () => {
  const documents = [
    {
      _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
      at: new Date('2026-12-01T12:34:56.789Z'),
      price: Decimal128.fromString('12345678901234567890.123456789'),
      raw: new Binary(Buffer.from([0, 1, 2, 255]), Binary.SUBTYPE_BYTE_ARRAY),
      uuid: new UUID('0f8fad5b-d9cb-469f-a165-70867728950e'),
      big: Long.fromString('9007199254740993'),
      small: new Int32(7),
      ratio: new Double(7),
      nested: { list: [new Int32(1), 'two', null, { deep: new Date(0) }] },
      'odd "key" ünï': 'value',
    },
    { _id: 'text id', empty: {}, none: null },
  ];

  it('round-trips every BSON type exactly, even as a line of JSON inside another JSON record', () => {
    const text = encodeDocuments(documents);
    const archived = JSON.parse(JSON.stringify({ record: { kind: 'documents', collection: 'c', documents: text } })) as { record: { documents: string } };
    const back = decodeDocuments(archived.record.documents);
    // Byte-for-byte the same BSON: types (Int32 vs Double vs Long, Decimal128, Binary subtypes) included.
    expect(back.map((d) => Buffer.from(BSON.serialize(d)).toString('hex'))).toEqual(documents.map((d) => Buffer.from(BSON.serialize(d)).toString('hex')));
    expect(back[0]!['_id']).toBeInstanceOf(ObjectId);
    expect(back[0]!['big']).toBeInstanceOf(Long);
    expect(back[0]!['price']).toBeInstanceOf(Decimal128);
    expect(back[0]!['at']).toEqual(new Date('2026-12-01T12:34:56.789Z'));
  });

  it('refuses a documents text that is not an array', () => {
    expect(() => decodeDocuments('{"a":1}')).toThrow(/not an array/);
  });

  it('keeps every index but _id_, TTL and partial options included, without the server-owned fields', () => {
    const listed = [
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { createdAt: 1 }, name: 'ttl', expireAfterSeconds: 3600 },
      { v: 2, key: { email: 1 }, name: 'email_unique', unique: true, partialFilterExpression: { email: { $exists: true } } },
      { v: 2, key: { a: 1, b: -1 }, name: 'compound', ns: 'db.c', sparse: true },
    ];
    const specs = decodeDocuments(encodeDocuments(indexSpecs(listed)));
    // Numbers come back as the BSON numbers they were (Int32 1, -1, 3600): compare their relaxed JSON.
    expect(JSON.parse(BSON.EJSON.stringify(specs, { relaxed: true }))).toEqual([
      { key: { createdAt: 1 }, name: 'ttl', expireAfterSeconds: 3600 },
      { key: { email: 1 }, name: 'email_unique', unique: true, partialFilterExpression: { email: { $exists: true } } },
      { key: { a: 1, b: -1 }, name: 'compound', sparse: true },
    ]);
  });
});
