/**
 * The long-running processes on ECS Fargate, from one container image (platform/cdk/Dockerfile):
 * - each service's HTTP API as its own ECS service (`API_SERVICES=<service>`), with a task role that may
 *   write only that service's event table, behind one Application Load Balancer that routes by path
 *   (api/routing.ts, the same rules the routing test checks against every route the app registers);
 * - the reservation worker (Temporal), scaled on CPU.
 * Non-auth APIs verify tokens with the auth API's public keys, reached inside the VPC by Cloud Map name.
 */
import path from 'node:path';
import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { API_ROUTES, DEFAULT_API_SERVICE } from '../../api/routing';
import type { ServiceName } from '../../eventstore/types';
import { SERVICES } from '../topology';
import type { EventPipeline } from './event-pipeline';
import { grantAppend } from './grants';

const ROOT = path.resolve(__dirname, '../..');
const API_PORT = 3000;

export interface ServicesProps {
  prefix: string;
  vpc: ec2.IVpc;
  pipeline: EventPipeline;
  /** A prebuilt image (e.g. pushed by CI); unset: built from platform/cdk/Dockerfile at deploy. */
  image?: string;
  secrets: {
    mongoUri: secretsmanager.ISecret;
    /** JSON with `apiKey`, `tlsCa`, `tlsCert`, `tlsKey` (empty strings for what the cluster does not use). */
    temporal: secretsmanager.ISecret;
    /** The auth service's signing key (a private Ed25519 JWK), shared by every auth task. */
    authSigningKey: secretsmanager.ISecret;
  };
  temporal: { address: string; namespace: string; taskQueue: string; serverName?: string };
  environment: Record<string, string>;
  /** An ACM certificate for HTTPS on 443 (port 80 then redirects); unset: HTTP on 80. */
  certificateArn?: string;
  apiTasks: number;
  workers: { min: number; max: number; cpuTargetPercent: number };
}

export class Services extends Construct {
  readonly apis: Record<ServiceName, ecs.FargateService>;
  readonly worker: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Each process's task role: what the code may do with AWS. */
  readonly roles: Record<ServiceName | 'worker', iam.IRole>;

  constructor(scope: Construct, id: string, props: ServicesProps) {
    super(scope, id);
    const { vpc, pipeline } = props;
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      defaultCloudMapNamespace: { name: `${props.prefix}.internal`, vpc },
    });
    const image = props.image
      ? imageFrom(this, props.image)
      : ecs.ContainerImage.fromAsset(ROOT, {
          file: 'platform/cdk/Dockerfile',
          platform: Platform.LINUX_ARM64,
          exclude: ['node_modules', '.stack', '.git', 'cdk.out', 'coverage', 'bench/results', 'web/dist', '**/*.test.ts'],
        });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Lb', { vpc, internetFacing: true });
    const scheme = props.certificateArn ? 'https' : 'http';
    const publicUrl = `${scheme}://${this.loadBalancer.loadBalancerDnsName}`;
    const listener = props.certificateArn
      ? this.loadBalancer.addListener('Https', { port: 443, certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)] })
      : this.loadBalancer.addListener('Http', { port: 80 });
    if (props.certificateArn) this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });

    const common = {
      ...props.environment,
      TEMPORAL_ADDRESS: props.temporal.address,
      TEMPORAL_NAMESPACE: props.temporal.namespace,
      TEMPORAL_TASK_QUEUE: props.temporal.taskQueue,
      ...(props.temporal.serverName ? { TEMPORAL_TLS_SERVER_NAME: props.temporal.serverName } : {}),
    };
    // secrets are read by the processes at start (platform/secrets.ts, by name): nothing secret is in the task
    // definition, and a JSON field left "" in the Temporal secret means "not used"
    const mongo = { MONGODB_URI_SECRET_ARN: props.secrets.mongoUri.secretName };
    const temporalSecret = props.secrets.temporal.secretName;
    const temporal = {
      TEMPORAL_API_KEY_SECRET_ARN: `${temporalSecret}#apiKey`,
      TEMPORAL_TLS_CA_SECRET_ARN: `${temporalSecret}#tlsCa`,
      TEMPORAL_TLS_CERT_SECRET_ARN: `${temporalSecret}#tlsCert`,
      TEMPORAL_TLS_KEY_SECRET_ARN: `${temporalSecret}#tlsKey`,
    };
    const jwksUrl = `http://auth.${props.prefix}.internal:${API_PORT}/.well-known/jwks.json`;

    const apis = {} as Record<ServiceName, ecs.FargateService>;
    const roles = {} as Record<ServiceName | 'worker', iam.IRole>;
    for (const service of SERVICES) {
      const task = armTask(this, `${service}Task`, 512, 1024);
      task.addContainer('api', {
        image,
        command: ['node', '--import', 'tsx', 'workers/api.ts'],
        portMappings: [{ containerPort: API_PORT }],
        environment: {
          ...common,
          API_SERVICES: service,
          HOST: '0.0.0.0',
          PORT: String(API_PORT),
          PUBLIC_URL: publicUrl,
          // the load balancer's nodes are in the VPC: their X-Forwarded-For gives the client's address, which
          // the sign-up and sign-in limits key on (else every client would share the nodes' few addresses)
          TRUST_PROXY: vpc.vpcCidrBlock,
          ...(service === 'auth' ? {} : { AUTH_JWKS_URL: jwksUrl }),
          ...mongo,
          ...(service === 'reservation' ? temporal : {}),
          ...(service === 'auth' ? { AUTH_PRIVATE_JWK_SECRET_ARN: props.secrets.authSigningKey.secretName } : {}),
        },
        logging: ecs.LogDriver.awsLogs({ streamPrefix: service, logRetention: logs.RetentionDays.ONE_MONTH }),
      });
      const api = new ecs.FargateService(this, `${service}Api`, {
        cluster,
        taskDefinition: task,
        desiredCount: props.apiTasks,
        // a deployment starts the new tasks before it stops the old ones: never fewer than asked for
        minHealthyPercent: 100,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        circuitBreaker: { rollback: true },
        cloudMapOptions: { name: service },
      });
      const targets = new elbv2.ApplicationTargetGroup(this, `${service}Targets`, {
        vpc,
        port: API_PORT,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targets: [api],
        // the shallow liveness route: the deep /health fails while MongoDB or Temporal blips, and ECS would
        // then replace every task at once (the new ones could not start either)
        healthCheck: { path: '/health/live', interval: Duration.seconds(15), healthyThresholdCount: 2 },
        deregistrationDelay: Duration.seconds(15),
      });
      const route = API_ROUTES.findIndex((r) => r.service === service);
      if (service === DEFAULT_API_SERVICE) listener.addTargetGroups(`${service}Default`, { targetGroups: [targets] });
      API_ROUTES.forEach((r, i) => {
        if (r.service !== service) return;
        listener.addTargetGroups(`${service}Route${i}`, {
          targetGroups: [targets],
          priority: (i + 1) * 10,
          conditions: [elbv2.ListenerCondition.pathPatterns([...r.patterns])],
        });
      });
      if (route < 0 && service !== DEFAULT_API_SERVICE) throw new Error(`api/routing.ts sends no path to ${service}`);
      apis[service] = api;
      roles[service] = task.taskRole;
      // its own table, appended to: the one table this service's API may change
      grantAppend(pipeline.services[service].table, task.taskRole);
      props.secrets.mongoUri.grantRead(task.taskRole);
      if (service === 'reservation') props.secrets.temporal.grantRead(task.taskRole);
      if (service === 'auth') props.secrets.authSigningKey.grantRead(task.taskRole);
      grantHealthReads(task.taskRole, pipeline, service);
    }
    // the reservation API reads the catalog's store when its replica has not caught up (read only)
    pipeline.services.catalog.table.grantReadData(roles.reservation);
    // the other APIs fetch the auth API's public keys inside the VPC
    for (const service of SERVICES) {
      if (service !== 'auth') apis.auth.connections.allowFrom(apis[service], ec2.Port.tcp(API_PORT), `${service} fetches the JWKS`);
    }

    const workerTask = armTask(this, 'WorkerTask', 1024, 2048);
    workerTask.addContainer('worker', {
      image,
      command: ['node', '--import', 'tsx', 'workers/reservation-worker.ts'],
      environment: { ...common, ...mongo, ...temporal },
      logging: ecs.LogDriver.awsLogs({ streamPrefix: 'worker', logRetention: logs.RetentionDays.ONE_MONTH }),
    });
    this.worker = new ecs.FargateService(this, 'Worker', {
      cluster,
      taskDefinition: workerTask,
      desiredCount: props.workers.min,
      minHealthyPercent: 100,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
    });
    // the worker is CPU-bound (the benchmark: workflow tasks and activities keep one core busy at the floor's rate)
    this.worker
      .autoScaleTaskCount({ minCapacity: props.workers.min, maxCapacity: props.workers.max })
      .scaleOnCpuUtilization('Cpu', {
        targetUtilizationPercent: props.workers.cpuTargetPercent,
        scaleOutCooldown: Duration.minutes(1),
        scaleInCooldown: Duration.minutes(5),
      });
    grantAppend(pipeline.services.reservation.table, workerTask.taskRole);
    props.secrets.mongoUri.grantRead(workerTask.taskRole);
    props.secrets.temporal.grantRead(workerTask.taskRole);
    pipeline.services.catalog.table.grantReadData(workerTask.taskRole);
    roles.worker = workerTask.taskRole;
    this.apis = apis;
    this.roles = roles;

    new CfnOutput(this, 'Url', { value: publicUrl, description: 'The API (and its /docs)' });
  }
}

/** A Fargate task on ARM64 (Graviton: about a fifth cheaper than x86 per vCPU-hour). */
function armTask(scope: Construct, id: string, cpu: number, memoryLimitMiB: number): ecs.FargateTaskDefinition {
  return new ecs.FargateTaskDefinition(scope, id, {
    cpu,
    memoryLimitMiB,
    runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
  });
}

/** What /health reads: that DynamoDB and SQS answer (list calls) and how many dead letters the service's own consumers hold. */
function grantHealthReads(role: iam.IRole, pipeline: EventPipeline, service: ServiceName): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:ListTables', 'sqs:ListQueues'], resources: ['*'] }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
      resources: pipeline.topology.consumers.filter((c) => c.owner === service).map((c) => pipeline.consumers[c.name]!.dlq.queueArn),
    }),
  );
}


/**
 * A prebuilt image: from an ECR repository of this account (the tasks' execution role is then allowed to
 * pull it), or from any public registry.
 */
function imageFrom(scope: Construct, uri: string): ecs.ContainerImage {
  const m = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/([^:@]+)(?::([^@]+))?(?:@(.+))?$/.exec(uri);
  if (!m) return ecs.ContainerImage.fromRegistry(uri);
  const repository = ecr.Repository.fromRepositoryName(scope, 'ImageRepository', m[1]!);
  return ecs.ContainerImage.fromEcrRepository(repository, m[3] ?? m[2] ?? 'latest');
}
