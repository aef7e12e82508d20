import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { FLEET_DIMENSION, KIND_DIMENSION, Metrics } from './contract/runtime-metrics';
import { BACKLOG_EXPRESSION, BACKLOG_PER_INSTANCE_EXPRESSION, GroupMetric, UTILIZATION_EXPRESSION } from './contract/scaling-plan';

/** What the fleet's metrics are about. */
export interface FleetMetricSources {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly autoScalingGroupName: string;
  /** The runtime's namespace and `Fleet` dimension (docs/architecture.md). */
  readonly namespace: string;
  readonly fleetName: string;
}

const ONE_MINUTE = Duration.minutes(1);

/**
 * The fleet's metrics: SQS and Auto Scaling metrics, and the runtime's own (ImagesProcessed,
 * JobFailures, ProcessingTime, BusyTime). Shared by the `metric*()` helpers and the dashboard.
 */
export class FleetMetricFactory {
  constructor(private readonly src: FleetMetricSources) {}

  public messagesVisible(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.src.queue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum', ...options });
  }

  public messagesInFlight(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.src.queue.metricApproximateNumberOfMessagesNotVisible({ period: ONE_MINUTE, statistic: 'Maximum', ...options });
  }

  public ageOfOldestMessage(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.src.queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: 'Maximum', ...options });
  }

  public deadLetterQueueDepth(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.src.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum', ...options });
  }

  public groupMetric(metricName: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/AutoScaling',
      metricName,
      dimensionsMap: { AutoScalingGroupName: this.src.autoScalingGroupName },
      period: ONE_MINUTE,
      statistic: 'Average',
      ...options,
    });
  }

  public runtimeMetric(metricName: string, statistic: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.src.namespace,
      metricName,
      dimensionsMap: { [FLEET_DIMENSION]: this.src.fleetName },
      period: ONE_MINUTE,
      statistic,
      ...options,
    });
  }

  /** Waiting plus in-flight messages. */
  public backlog(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: BACKLOG_EXPRESSION,
      usingMetrics: { visible: this.messagesVisible(), inflight: this.messagesInFlight() },
      label: 'Backlog (waiting + in flight)',
      period: ONE_MINUTE,
      ...options,
    });
  }

  /** The scaling metric: backlog ÷ in-service instances (0 instances count as 1). */
  public backlogPerInstance(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: BACKLOG_PER_INSTANCE_EXPRESSION,
      usingMetrics: {
        visible: this.messagesVisible({ statistic: 'Average' }),
        inflight: this.messagesInFlight({ statistic: 'Average' }),
        inservice: this.groupMetric(GroupMetric.IN_SERVICE),
      },
      label: 'Backlog per instance',
      period: ONE_MINUTE,
      ...options,
    });
  }

  /** Failed jobs of every kind: the runtime publishes JobFailures per `Kind`, so they are summed with a search. */
  public jobFailures(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    const period = (options?.period ?? ONE_MINUTE).toSeconds();
    const ns = this.src.namespace.replace(/"/g, '\\"');
    const fleet = this.src.fleetName.replace(/"/g, '\\"');
    return new cloudwatch.MathExpression({
      expression: `SUM(SEARCH('{"${ns}",${FLEET_DIMENSION},${KIND_DIMENSION}} MetricName="${Metrics.JOB_FAILURES}" ${FLEET_DIMENSION}="${fleet}"', 'Sum', ${period}))`,
      usingMetrics: {},
      label: 'Job failures (all kinds)',
      period: ONE_MINUTE,
      ...options,
    });
  }

  /** Percentage of instance time with at least one job in flight. */
  public utilization(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: UTILIZATION_EXPRESSION,
      usingMetrics: {
        busy: this.runtimeMetric(Metrics.BUSY_TIME, 'Sum'),
        inservice: this.groupMetric(GroupMetric.IN_SERVICE),
      },
      label: 'Utilisation (%)',
      period: ONE_MINUTE,
      ...options,
    });
  }
}
