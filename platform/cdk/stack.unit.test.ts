/**
 * The AWS stack, checked on its synthesized template (aws-cdk-lib/assertions), offline: the functions'
 * bundling is skipped here (synth.int.test.ts runs the real `cdk synth` with esbuild and no network).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { MAX_RECEIVE_COUNT, SERVICES, topology, type Topology } from '../topology';
import { FORWARDER_RETRY_ATTEMPTS } from './event-pipeline';
import { stackProps } from './app';
import { ReservationsStack } from './stack';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function synth(topo: Topology = topology('rr')): { stack: ReservationsStack; template: Template; resources: Resources } {
  // no stack is bundled: the assertions are about the template, not the code
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ReservationsStack(app, 'rr-reservations', {
    topology: topo,
    temporal: { address: 'temporal.example.invalid:7233', namespace: 'default', taskQueue: 'reservations' },
    mongoDb: 'rr',
    image: 'example.invalid/reservations:test',
  });
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Resources };
}

const { stack, template, resources } = synth();
const topo = topology('rr');

function ofType(type: string, res: Resources = resources): Array<[string, Resources[string]]> {
  return Object.entries(res).filter(([, r]) => r.Type === type);
}

function logicalIdOfRole(role: IRole): string {
  return stack.getLogicalId(role.node.defaultChild as CfnRole);
}

function logicalIdOfName(type: string, name: string, prop: string): string {
  const found = ofType(type).find(([, r]) => r.Properties?.[prop] === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found[0];
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of every inline policy attached to the role. */
function statementsOf(roleId: string): Statement[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties!.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/**
 * Whether the statement's resources may include the resource: it is named (by logical id, or by its physical
 * name inside a built ARN), or a wildcard could match it (`*`, or a table/queue ARN pattern with `*`).
 */
const covers = (s: Statement, logicalId: string): boolean => {
  const text = JSON.stringify(s.Resource);
  const physical = resources[logicalId]?.Properties?.TableName ?? resources[logicalId]?.Properties?.QueueName;
  return (
    text.includes(`"${logicalId}"`) ||
    (typeof physical === 'string' && text.includes(physical)) ||
    text.includes('"*"') ||
    /(:table\/|:sqs:|:dynamodb:)[^"]*\*/.test(text)
  );
};

/** The actions the role is allowed on the resource (wildcard resources included). */
function allowedOn(roleId: string, logicalId: string): string[] {
  return statementsOf(roleId)
    .filter((s) => s.Effect === 'Allow' && covers(s, logicalId))
    .flatMap(actions);
}

const DYNAMODB_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*', '*'];
const writes = (acts: string[]) => acts.filter((a) => DYNAMODB_WRITES.includes(a));
const tableId = (s: (typeof SERVICES)[number]) => logicalIdOfName('AWS::DynamoDB::Table', topo.services[s].table, 'TableName');

describe('event tables', () => {
  test.each(SERVICES)('%s: on demand, streams NEW_IMAGE, point-in-time recovery, deletion protection, retained', (s) => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: topo.services[s].table,
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        KeySchema: [
          { AttributeName: 'streamId', KeyType: 'HASH' },
          { AttributeName: 'version', KeyType: 'RANGE' },
        ],
      },
    });
  });

  test('one table per service and no other', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', SERVICES.length);
  });
});

describe('forwarders and topics', () => {
  test.each(SERVICES)('%s: an SNS FIFO topic, and a forwarder on the stream that bisects, retries a bounded number of times, then sends to a queue', (s) => {
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: topo.services[s].topic, FifoTopic: true });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [tableId(s), 'StreamArn'] },
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: FORWARDER_RETRY_ATTEMPTS,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  test.each(SERVICES)('%s: its forwarder publishes only to its own topic', (s) => {
    const topicId = logicalIdOfName('AWS::SNS::Topic', topo.services[s].topic, 'TopicName');
    const fn = stack.pipeline.services[s].forwarder;
    const roleId = logicalIdOfRole(fn.role!);
    const publishes = statementsOf(roleId).filter((st) => actions(st).some((a) => a.startsWith('sns:')));
    expect(publishes.length).toBeGreaterThan(0);
    for (const st of publishes) expect(st.Resource).toEqual({ Ref: topicId });
    for (const other of SERVICES) expect(writes(allowedOn(roleId, tableId(other)))).toEqual([]);
  });
});

describe('consumers', () => {
  test.each(topo.consumers.map((c) => [c.name, c] as const))('%s: FIFO queue with its DLQ, raw subscription to its source topic, a function with partial batch responses', (_, c) => {
    const dlqId = logicalIdOfName('AWS::SQS::Queue', c.dlq, 'QueueName');
    const queueId = logicalIdOfName('AWS::SQS::Queue', c.queue, 'QueueName');
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: c.queue,
      FifoQueue: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      TopicArn: { Ref: logicalIdOfName('AWS::SNS::Topic', topo.services[c.source].topic, 'TopicName') },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  test('every queue has a dead-letter queue, or is one', () => {
    const queues = ofType('AWS::SQS::Queue');
    const deadLetterTargets = new Set<string>();
    for (const [, q] of queues) {
      const target = (q.Properties?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt': [string, string] } } | undefined)?.deadLetterTargetArn;
      if (target) deadLetterTargets.add(target['Fn::GetAtt'][0]);
    }
    // the forwarders' on-failure queues are dead-letter destinations of the stream mappings
    for (const [, m] of ofType('AWS::Lambda::EventSourceMapping')) {
      const dest = (m.Properties?.DestinationConfig as { OnFailure?: { Destination: { 'Fn::GetAtt': [string, string] } } } | undefined)?.OnFailure?.Destination;
      if (dest) deadLetterTargets.add(dest['Fn::GetAtt'][0]);
    }
    for (const [id, q] of queues) {
      if (deadLetterTargets.has(id)) continue;
      expect({ id, hasRedrive: q.Properties?.RedrivePolicy !== undefined }).toEqual({ id, hasRedrive: true });
    }
    expect(queues.length).toBe(topo.consumers.length * 2 + SERVICES.length);
  });

  test.each(topo.consumers.map((c) => [c.name, c] as const))('%s receives only from its own queue, and writes a table only if it appends to its owner', (_, c) => {
    const roleId = logicalIdOfRole(stack.pipeline.consumers[c.name]!.fn.role!);
    const receives = statementsOf(roleId).filter((st) => actions(st).includes('sqs:ReceiveMessage'));
    expect(receives.length).toBe(1);
    expect(receives[0]!.Resource).toEqual({ 'Fn::GetAtt': [logicalIdOfName('AWS::SQS::Queue', c.queue, 'QueueName'), 'Arn'] });
    for (const s of SERVICES) {
      const w = writes(allowedOn(roleId, tableId(s)));
      if (c.appendsToOwner && s === c.owner) expect(w.length).toBeGreaterThan(0);
      else expect(w).toEqual([]);
    }
  });
});

describe('least privilege of the processes', () => {
  test.each(['reservation', 'worker'] as const)('the %s role cannot write the catalog or auth table, and can write its own', (which) => {
    const roleId = logicalIdOfRole(stack.services.roles[which]);
    expect(writes(allowedOn(roleId, tableId('catalog')))).toEqual([]);
    expect(writes(allowedOn(roleId, tableId('auth')))).toEqual([]);
    expect(writes(allowedOn(roleId, tableId('reservation')))).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
  });

  test.each(SERVICES)('the %s API writes only its own table and publishes to no topic', (s) => {
    const roleId = logicalIdOfRole(stack.services.roles[s]);
    for (const other of SERVICES) {
      const w = writes(allowedOn(roleId, tableId(other)));
      if (other === s) expect(w).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
      else expect(w).toEqual([]);
    }
    expect(statementsOf(roleId).flatMap(actions).filter((a) => a.startsWith('sns:'))).toEqual([]);
  });

  test('no secret value is in the template: secrets are referenced by name', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/mongodb(\+srv)?:\/\//);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});

describe('dead-letter redrive', () => {
  test('one function on a schedule moves every consumer\'s dead letters back to its queue, and may do nothing else with queues', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    const roleId = logicalIdOfRole(stack.pipeline.redrive.role!);
    for (const c of topo.consumers) {
      const dlqId = logicalIdOfName('AWS::SQS::Queue', c.dlq, 'QueueName');
      const queueId = logicalIdOfName('AWS::SQS::Queue', c.queue, 'QueueName');
      expect(allowedOn(roleId, dlqId)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
      expect(allowedOn(roleId, queueId)).toEqual(expect.arrayContaining(['sqs:SendMessage']));
      expect(allowedOn(roleId, queueId)).not.toContain('sqs:ReceiveMessage');
    }
    for (const s of SERVICES) expect(writes(allowedOn(roleId, tableId(s)))).toEqual([]);
  });
});

describe('processes on ECS Fargate', () => {
  test('one API service per service behind the load balancer, health-checked on /health/live (liveness), and the worker', () => {
    template.resourceCountIs('AWS::ECS::Service', SERVICES.length + 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', SERVICES.length);
    template.allResourcesProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/health/live', TargetType: 'ip' });
    for (const s of SERVICES) {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Environment: Match.arrayWith([
              { Name: 'API_SERVICES', Value: s },
              // client addresses from the load balancer's X-Forwarded-For (the auth limits key on them)
              { Name: 'TRUST_PROXY', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('Vpc'), 'CidrBlock'] } },
            ]),
          }),
        ],
      });
    }
  });

  test('the worker scales on CPU', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 10 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
  });

  test('MongoDB and Temporal credentials are read from Secrets Manager by the processes, each allowed only its own', () => {
    const secretEnv = (service: string) => {
      const defs = ofType('AWS::ECS::TaskDefinition').flatMap(([, t]) => t.Properties!.ContainerDefinitions as Array<{ Environment: Array<{ Name: string; Value: unknown }> }>);
      const def = defs.find((d) => d.Environment.some((e) => e.Name === 'API_SERVICES' && e.Value === service));
      return Object.fromEntries(def!.Environment.filter((e) => e.Name.endsWith('_SECRET_ARN')).map((e) => [e.Name, e.Value]));
    };
    expect(secretEnv('catalog')).toEqual({ MONGODB_URI_SECRET_ARN: 'rr/mongodb-uri' });
    expect(secretEnv('auth')).toEqual({ MONGODB_URI_SECRET_ARN: 'rr/mongodb-uri', AUTH_PRIVATE_JWK_SECRET_ARN: 'rr/auth-signing-key' });
    expect(secretEnv('reservation')).toEqual({
      MONGODB_URI_SECRET_ARN: 'rr/mongodb-uri',
      TEMPORAL_API_KEY_SECRET_ARN: 'rr/temporal#apiKey',
      TEMPORAL_TLS_CA_SECRET_ARN: 'rr/temporal#tlsCa',
      TEMPORAL_TLS_CERT_SECRET_ARN: 'rr/temporal#tlsCert',
      TEMPORAL_TLS_KEY_SECRET_ARN: 'rr/temporal#tlsKey',
    });
    // nothing is injected by ECS (no value in the task definition, not even a reference)
    for (const [, t] of ofType('AWS::ECS::TaskDefinition')) {
      for (const c of t.Properties!.ContainerDefinitions as Array<{ Secrets?: unknown }>) expect(c.Secrets).toBeUndefined();
    }
    const reads = (roleId: string) =>
      statementsOf(roleId)
        .filter((st) => actions(st).includes('secretsmanager:GetSecretValue'))
        .map((st) => JSON.stringify(st.Resource));
    const catalogReads = reads(logicalIdOfRole(stack.services.roles.catalog)).join(' ');
    expect(catalogReads).toContain('rr/mongodb-uri');
    expect(catalogReads).not.toContain('rr/temporal');
    expect(catalogReads).not.toContain('rr/auth-signing-key');
    const workerReads = reads(logicalIdOfRole(stack.services.roles.worker)).join(' ');
    expect(workerReads).toContain('rr/temporal');
    expect(workerReads).not.toContain('rr/auth-signing-key');
  });

  test('the event tables are append-only for every role: nobody may update or delete an event', () => {
    for (const [, p] of ofType('AWS::IAM::Policy')) {
      for (const st of (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement) {
        const acts = actions(st);
        const onTable = SERVICES.some((s) => covers(st, tableId(s)));
        if (onTable) expect(acts.filter((a) => ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*', '*'].includes(a))).toEqual([]);
      }
    }
  });
});

describe('alarms', () => {
  test('stream iterator age and errors of every function', () => {
    const fns = ofType('AWS::Lambda::Function').length;
    // a forwarder per service, a consumer per consumer, the redrive
    expect(fns).toBe(SERVICES.length + topo.consumers.length + 1);
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    expect(alarms.filter((a) => a.MetricName === 'IteratorAge')).toHaveLength(SERVICES.length);
    expect(alarms.filter((a) => a.MetricName === 'Errors' && a.Namespace === 'AWS/Lambda')).toHaveLength(fns);
    for (const a of alarms) expect(a.AlarmActions).toHaveLength(1);
  });
});

describe('a consumer added to the topology', () => {
  test('adds its queue, DLQ, subscription, function and alarms, and changes nothing else', () => {
    const extra = { name: 'catalog-extra', owner: 'catalog', source: 'catalog', kind: 'denormalizer', description: 'test' } as const;
    const bigger: Topology = {
      ...topo,
      consumers: [...topo.consumers, { ...extra, name: extra.name as Topology['consumers'][number]['name'], queue: 'rr-catalog-extra.fifo', dlq: 'rr-catalog-extra-dlq.fifo' }],
    };
    const after = synth(bigger).resources;
    const count = (res: Resources) => {
      const n: Record<string, number> = {};
      for (const r of Object.values(res)) n[r.Type] = (n[r.Type] ?? 0) + 1;
      return n;
    };
    const before = count(resources);
    const now = count(after);
    const diff = Object.fromEntries(
      [...new Set([...Object.keys(before), ...Object.keys(now)])].map((t) => [t, (now[t] ?? 0) - (before[t] ?? 0)] as const).filter(([, d]) => d !== 0),
    );
    expect(diff).toEqual({
      'AWS::SQS::Queue': 2, // the queue and its DLQ
      'AWS::SQS::QueuePolicy': 2, // each queue's (TLS only; the topic may send to the queue)
      'AWS::SNS::Subscription': 1,
      'AWS::Lambda::Function': 1,
      'AWS::Lambda::EventSourceMapping': 1,
      'AWS::IAM::Role': 1, // the function's own role...
      'AWS::IAM::Policy': 1, // ...and what it may do
      'AWS::EC2::SecurityGroup': 1, // it runs in the VPC (it reaches MongoDB)
      'AWS::Logs::LogGroup': 1,
      'AWS::CloudWatch::Alarm': 2, // dead letters, errors
    });
    // every resource that was there is still there
    for (const id of Object.keys(resources)) expect(after[id]?.Type).toBe(resources[id]!.Type);
    const t = Template.fromJSON({ Resources: after });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'rr-catalog-extra.fifo', RedrivePolicy: Match.objectLike({ maxReceiveCount: MAX_RECEIVE_COUNT }) });
  });
});

describe('the app\'s settings (context or environment)', () => {
  test('Temporal\'s address: from context only (the shell\'s TEMPORAL_ADDRESS is the local one), else a deploy parameter with no default', () => {
    const none = stackProps(new App(), { TEMPORAL_ADDRESS: '127.0.0.1:7233' });
    expect(none.temporal.address).toBeUndefined();
    expect(() => stackProps(new App({ context: { temporalAddress: 'no-port' } }), {})).toThrow(/temporalAddress/);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const params = Template.fromStack(new ReservationsStack(app, 's', { ...none, image: 'example.invalid/x:1' })).toJSON().Parameters as Record<string, { Default?: string; AllowedPattern?: string }>;
    expect(params.TemporalAddress).toBeDefined();
    expect(params.TemporalAddress!.Default).toBeUndefined();
    // the stack built at the top of this file got it from its props
    expect((template.toJSON().Parameters as Record<string, { Default?: string }>).TemporalAddress!.Default).toBe('temporal.example.invalid:7233');
  });

  test('a prebuilt image from this account\'s ECR may be pulled by the tasks; any other comes from its registry', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const props = stackProps(new App({ context: { temporalAddress: 'a:1' } }), {});
    const ecrStack = new ReservationsStack(app, 'e', { ...props, image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/reservations:v7' });
    const text = JSON.stringify(Template.fromStack(ecrStack).toJSON());
    expect(text).toContain('ecr:BatchGetImage');
    expect(text).toContain('reservations:v7');
  });

  test('context wins over the environment; defaults for the rest', () => {
    const props = stackProps(new App({ context: { temporalAddress: 'ns.acct.tmprl.cloud:7233', prefix: 'prod', workersMax: '4', apiTasks: '3' } }), {
      TEMPORAL_ADDRESS: 'ignored:1',
      TEMPORAL_NAMESPACE: 'ns.acct',
    });
    expect(props.temporal).toEqual({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', taskQueue: 'reservations' });
    expect(props.apiTasks).toBe(3);
    expect(props.topology.prefix).toBe('prod');
    expect(props.topology.services.catalog.table).toBe('prod-catalog-events');
    expect(props.workers).toEqual({ min: 1, max: 4, cpuTargetPercent: 60 });
    expect(() => stackProps(new App({ context: { temporalAddress: 'a:1', workersMax: 'many' } }), {})).toThrow(/workersMax/);
    expect(() => stackProps(new App({ context: { temporalAddress: 'a:1', workersMin: '5', workersMax: '2' } }), {})).toThrow(/workersMin/);
    expect(() => stackProps(new App({ context: { temporalAddress: 'a:1', prefix: 'no_underscores' } }), {})).toThrow(/prefix/);
  });
});
