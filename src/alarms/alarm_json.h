#pragma once
// Alarms as JSON, in the shape of CloudWatch's PutMetricAlarm / PutCompositeAlarm /
// DescribeAlarms (AlarmName, MetricName, Dimensions [{Name, Value}], Statistic, Period,
// EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator, TreatMissingData,
// ActionsEnabled, AlarmActions, OKActions, InsufficientDataActions, Metrics [{Id, MetricStat:
// {Metric: {MetricName, Dimensions}, Stat}, Expression, Label, ReturnData}], AlarmRule, Tags
// [{Key, Value}], StateValue, StateReason, StateReasonData, StateUpdatedTimestamp,
// AlarmConfigurationUpdatedTimestamp), so CloudWatch's alarm JSON reads here. Used by the store
// (the definition column) and by the REST API.
//
// Action targets are strings: "topic:NAME", or an SNS topic ARN
// ("arn:aws:sns:REGION:ACCOUNT:NAME", read as topic NAME).

#include <boost/json/value.hpp>

#include "alarms/alarm.h"
#include "common/result.h"

namespace costgate::alarms {

// `with_status`: also the State* fields.
boost::json::value toJson(const Alarm& a, bool with_status = true);
// A composite alarm when "AlarmRule" is present, else a metric alarm. Reads the State* fields
// when present (a new alarm's status otherwise). Errors name the field; the alarm is validated.
Result<Alarm> alarmFromJson(const boost::json::value& v);

Result<ActionTarget> parseActionTarget(std::string_view text);

}  // namespace costgate::alarms
