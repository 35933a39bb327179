/** `npm run provision`: creates the missing AWS resources for RESOURCE_PREFIX and prints what it did. */
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { provision } from '../platform/provision';
import { topology } from '../platform/topology';

async function main(): Promise<void> {
  const config = loadConfig();
  const clients = awsClients(config);
  try {
    const report = await provision(clients, topology(config.resourcePrefix));
    const where = config.aws.endpoint ? `SNS/SQS ${config.aws.endpoint}, DynamoDB ${config.aws.dynamodbEndpoint ?? 'AWS'}` : `AWS ${config.aws.region}`;
    console.log(`provision prefix=${config.resourcePrefix} on ${where}`);
    for (const r of report.created) console.log(`  created   ${r.kind.padEnd(12)} ${r.name}`);
    for (const r of report.existing) console.log(`  existing  ${r.kind.padEnd(12)} ${r.name}`);
    console.log(`${report.created.length} created, ${report.existing.length} already there`);
  } finally {
    destroyAwsClients(clients);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
