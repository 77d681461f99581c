import { Type } from '@sinclair/typebox';

const MiB = 1024 * 1024;

/**
 * `cache.storage`: where the warehouse keeps its objects. `fs` (the default) is files under
 * `cache.storageDir`; `s3` is an S3-compatible bucket (AWS, MinIO, Garage, R2, ...). The s3 fields
 * are ignored for `fs`. Credentials left empty come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
export const CacheStorageSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('fs'), Type.Literal('s3')], {
      default: 'fs',
      description: 'fs: files under cache.storageDir; s3: an S3-compatible bucket.',
    }),
    endpoint: Type.String({
      default: '',
      description: 'S3 endpoint URL, e.g. http://127.0.0.1:9000 for MinIO; empty for AWS itself.',
    }),
    region: Type.String({ default: '', description: 'Defaults to AWS_REGION, then us-east-1.' }),
    bucket: Type.String({ default: '' }),
    prefix: Type.String({ default: '', description: 'Keys go under PREFIX/ in the bucket.' }),
    forcePathStyle: Type.Boolean({
      default: false,
      description:
        'http://endpoint/bucket/key URLs instead of bucket subdomains (MinIO and Garage want this).',
    }),
    accessKeyId: Type.String({ default: '' }),
    secretAccessKey: Type.String({ default: '' }),
    presignDownloads: Type.Boolean({
      default: false,
      description: 'NAR downloads answer 302 to a presigned URL, so clients fetch from the bucket directly.',
    }),
    presignExpirySeconds: Type.Integer({ minimum: 60, maximum: 604_800, default: 3600 }),
    multipartThresholdBytes: Type.Integer({
      minimum: 0,
      default: 16 * MiB,
      description: 'Objects up to this size are sent in one PUT; larger ones in multipart uploads.',
    }),
    partSizeBytes: Type.Integer({ minimum: 5 * MiB, default: 8 * MiB }),
  },
  { additionalProperties: false, default: {} },
);
