// The data lake bucket: bronze JSON, run manifests and map results, watermarks, Glue scratch space.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from './nag.ts';
import { Construct } from 'constructs';

export interface StorageProps {
  /** Delete the buckets with the stack (dev only). Default false: data stores are retained. */
  readonly destroyOnRemoval?: boolean;
  /** Days before bronze moves to Infrequent Access. Default 30. */
  readonly bronzeInfrequentAccessDays?: number;
  /** Days before bronze moves to Glacier Instant Retrieval. Default 180. */
  readonly bronzeGlacierDays?: number;
  /** Days noncurrent object versions are kept. Default 30. */
  readonly noncurrentVersionDays?: number;
}

export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removal = props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: removal,
      autoDeleteObjects: props.destroyOnRemoval ?? false,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });
    acknowledge(
      this.accessLogs,
      'This is the access-log bucket itself; logging it into itself would loop.',
      'AwsSolutions-S1',
    );
    this.bucket = new s3.Bucket(this, 'DataLake', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'data-lake/',
      removalPolicy: removal,
      autoDeleteObjects: props.destroyOnRemoval ?? false,
      lifecycleRules: [
        {
          id: 'bronze-tiering',
          prefix: 'bronze/',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.bronzeInfrequentAccessDays ?? 30),
            },
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.bronzeGlacierDays ?? 180),
            },
          ],
        },
        { id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 30) },
        { id: 'glue-temp', prefix: 'tmp/', expiration: Duration.days(7) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(2) },
      ],
    });
  }
}
