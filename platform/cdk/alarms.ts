/**
 * Every alarm of the stack goes to one SNS topic (subscribe an address with `-c alarmEmail=...`). An alarm
 * fires at or above its threshold; no data (a quiet queue, an idle function) is not an alarm.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmSpec {
  metric: cloudwatch.IMetric;
  threshold: number;
  evaluationPeriods: number;
  description: string;
}

export class Alarms extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: { prefix: string; email?: string }) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { topicName: `${props.prefix}-alarms` });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }

  add(scope: Construct, id: string, spec: AlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      evaluationPeriods: spec.evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: spec.description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    return alarm;
  }
}
