/**
 * The whole system on AWS as one stack: the event pipeline from the topology (event-pipeline.ts), the
 * processes on ECS Fargate (services.ts), alarms to one topic (alarms.ts). Secrets are created by the
 * operator before the first deploy (README "Running on AWS") and only referenced here by name, so no
 * secret value is ever in the template; Temporal and MongoDB run outside (Temporal Cloud or a cluster;
 * MongoDB Atlas or another MongoDB-compatible store).
 */
import { CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Topology } from '../topology';
import { Alarms } from './alarms';
import { EventPipeline } from './event-pipeline';
import { Services } from './services';

export interface ReservationsStackProps extends StackProps {
  topology: Topology;
  /** Temporal's frontend; without `address` the template takes it as the TemporalAddress parameter at deploy. */
  temporal: { address?: string; namespace: string; taskQueue: string; serverName?: string };
  /** MongoDB database name prefix (each service gets `<prefix>_<service>`). */
  mongoDb: string;
  image?: string;
  certificateArn?: string;
  alarmEmail?: string;
  apiTasks?: number;
  workers?: { min: number; max: number; cpuTargetPercent: number };
}

/** host:port, as platform/config.ts checks TEMPORAL_ADDRESS. */
export const TEMPORAL_ADDRESS_PATTERN = /^[^\s:/]+:\d{1,5}$/;

/** The names of the secrets an operator creates before deploying (README "Running on AWS"). */
export function secretNames(prefix: string) {
  return { mongoUri: `${prefix}/mongodb-uri`, temporal: `${prefix}/temporal`, authSigningKey: `${prefix}/auth-signing-key` };
}

export class ReservationsStack extends Stack {
  readonly pipeline: EventPipeline;
  readonly services: Services;

  constructor(scope: Construct, id: string, props: ReservationsStackProps) {
    super(scope, id, props);
    const prefix = props.topology.prefix;
    const names = secretNames(prefix);
    const secrets = {
      mongoUri: secretsmanager.Secret.fromSecretNameV2(this, 'MongoUri', names.mongoUri),
      temporal: secretsmanager.Secret.fromSecretNameV2(this, 'Temporal', names.temporal),
      authSigningKey: secretsmanager.Secret.fromSecretNameV2(this, 'AuthSigningKey', names.authSigningKey),
    };
    // two zones, one NAT gateway: the processes reach MongoDB and Temporal outside AWS through it
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    // the AWS services themselves, without the NAT gateway's per-GB charge
    vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });

    const alarms = new Alarms(this, 'Alarms', { prefix, ...(props.alarmEmail ? { email: props.alarmEmail } : {}) });
    const environment = {
      NODE_ENV: 'production',
      RESOURCE_PREFIX: prefix,
      MONGODB_DB: props.mongoDb,
      // empty: the SDK's own endpoints and credentials (the role), not the local stack's
      AWS_ENDPOINT_URL: '',
      DYNAMODB_ENDPOINT_URL: '',
      // the local defaults (1-1.8 s) are for a MongoDB on this machine; a managed one over the NAT gateway
      // needs a DNS SRV lookup, TLS and authentication before its first answer
      MONGODB_TIMEOUT_MS: '5000',
      MONGODB_SERVER_SELECTION_TIMEOUT_MS: '5000',
    };
    this.pipeline = new EventPipeline(this, 'Pipeline', { topology: props.topology, vpc, mongoUri: secrets.mongoUri, environment, alarms });
    const temporalAddress = new CfnParameter(this, 'TemporalAddress', {
      type: 'String',
      description: "Temporal's frontend, host:port (Temporal Cloud: <namespace>.<account>.tmprl.cloud:7233)",
      allowedPattern: TEMPORAL_ADDRESS_PATTERN.source,
      constraintDescription: 'host:port',
      ...(props.temporal.address ? { default: props.temporal.address } : {}),
    });
    this.services = new Services(this, 'Services', {
      prefix,
      vpc,
      pipeline: this.pipeline,
      secrets,
      temporal: { ...props.temporal, address: temporalAddress.valueAsString },
      environment,
      apiTasks: props.apiTasks ?? 2,
      workers: props.workers ?? { min: 1, max: 10, cpuTargetPercent: 60 },
      ...(props.image ? { image: props.image } : {}),
      ...(props.certificateArn ? { certificateArn: props.certificateArn } : {}),
    });
  }
}
