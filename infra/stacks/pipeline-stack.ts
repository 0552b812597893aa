// The whole pipeline in one stack: it only composes constructs.
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Storage } from '../constructs/storage.ts';
import { Ingestion } from '../constructs/ingestion.ts';
import { Warehouse } from '../constructs/warehouse.ts';
import { Orchestration } from '../constructs/orchestration.ts';
import { DailySchedule } from '../constructs/schedule.ts';

export interface PipelineStackProps extends StackProps {
  /** SSM SecureString holding the Wistia API token. Default "/wistia/api-token". */
  readonly tokenParameterName?: string;
  /** Delete data stores with the stack (dev only). Default false. */
  readonly destroyOnRemoval?: boolean;
  /** Default "cron(0 6 * * ? *)". */
  readonly scheduleExpression?: string;
  /** Requests per minute the whole account may spend. Default 570 (Wistia allows 600). */
  readonly accountRequestsPerMinute?: number;
  /** First day of the first run's backfill. Default: two years back. */
  readonly backfillStartDate?: string;
  /** Company site hosts for channel attribution, comma separated. */
  readonly companyHosts?: string;
  /** Store visitor email and viewer ip as SHA-256 in the warehouse (docs/adr/0009). Default true. */
  readonly hashPii?: boolean;
}

export class PipelineStack extends Stack {
  readonly storage: Storage;
  readonly ingestion: Ingestion;
  readonly warehouse: Warehouse;
  readonly orchestration: Orchestration;
  readonly schedule: DailySchedule;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    this.storage = new Storage(this, 'Storage', { destroyOnRemoval: props.destroyOnRemoval ?? false });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      bucket: this.storage.bucket,
      tokenParameterName: props.tokenParameterName ?? '/wistia/api-token',
      ...(props.accountRequestsPerMinute ? { accountRequestsPerMinute: props.accountRequestsPerMinute } : {}),
      ...(props.backfillStartDate ? { backfillStartDate: props.backfillStartDate } : {}),
    });
    this.warehouse = new Warehouse(this, 'Warehouse', {
      bucket: this.storage.bucket,
      ...(props.companyHosts ? { companyHosts: props.companyHosts } : {}),
      hashPii: props.hashPii ?? true,
    });
    this.orchestration = new Orchestration(this, 'Orchestration', {
      bucket: this.storage.bucket,
      functions: this.ingestion.functions,
      glueJobName: this.warehouse.jobName,
    });
    this.orchestration.node.addDependency(this.warehouse.job);
    this.schedule = new DailySchedule(this, 'Schedule', {
      stateMachine: this.orchestration.stateMachine,
      ...(props.scheduleExpression ? { expression: props.scheduleExpression } : {}),
    });
  }
}
