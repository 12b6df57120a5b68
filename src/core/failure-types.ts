// Failure types as Temporal sees them (ApplicationFailure.type). Retry policies list the
// non-retryable ones by these names, so they are shared by activities and workflows.
// Pure constants: safe to import from workflow code.

/** PostgreSQL unreachable, connection dropped: worth retrying after a pause. */
export const DBT_CONNECTION_ERROR = 'DbtConnectionError';
/** Lock wait or statement timeout: worth retrying after a pause. */
export const DBT_TIMEOUT_ERROR = 'DbtTimeoutError';
/** dbt was killed before it could finish (out of memory, a signal) and said nothing: worth a retry. */
export const DBT_PROCESS_KILLED = 'DbtProcessKilled';
/** SQL or Jinja that does not compile, a broken project or profile: a retry cannot help. */
export const DBT_COMPILATION_ERROR = 'DbtCompilationError';
/** A model's SQL failed on the data (division by zero, a constraint): a retry runs the same SQL on the same data. */
export const DBT_MODEL_ERROR = 'DbtModelError';
/** An error-severity test found rows: the data is wrong, a retry cannot help. */
export const DBT_TEST_FAILURE = 'DbtTestFailure';
/** The selection matched no node: a configuration mistake, never a success. */
export const DBT_NOTHING_SELECTED = 'DbtNothingSelected';


/** A run was started for a date outside the accepted range (before the earliest date, after tomorrow) or not a date at all. */
export const INVALID_RUN_DATE = 'InvalidRunDate';

/** Flink did not report the date complete before the gate's deadline. */
export const FLINK_GATE_DEADLINE = 'FlinkGateDeadline';

/** The step's tests passed but no audited day of its models was found to publish: a broken build, not a passing one. */
export const NOTHING_TO_PUBLISH = 'NothingToPublish';

/** The report of a date with no figures at all (no campaign in analytics for the day): refused, not written empty. */
export const REPORT_NO_DATA = 'ReportNoData';

export const NON_RETRYABLE_DBT_FAILURES = [DBT_COMPILATION_ERROR, DBT_MODEL_ERROR, DBT_TEST_FAILURE, DBT_NOTHING_SELECTED, NOTHING_TO_PUBLISH] as const;
