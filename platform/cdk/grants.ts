import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';

/**
 * What the event store does with its table (eventstore/dynamodb.ts): appends (PutItem, and TransactWriteItems,
 * which needs PutItem and ConditionCheckItem) and reads. No UpdateItem, DeleteItem or BatchWriteItem: the
 * history is append-only, and a process cannot rewrite or delete it.
 */
export function grantAppend(table: dynamodb.ITable, role: iam.IGrantable): void {
  table.grant(role, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:DescribeTable');
}
