import type { Env, PanelSpec } from '../../index.ts';
import { usersTopics } from './settings.ts';

/** The seed's "Employee List" columns, plus the prediction; pictures become initials (no remote images). */
export function usersPanels(env: Env): PanelSpec[] {
  const { predicted: PREDICTED_TOPIC, metrics: METRICS_TOPIC } = usersTopics(env);
  return [
    {
      id: 'newest',
      title: 'Newest users, with the gender predicted from the first name before learning',
      type: 'record-table',
      topic: PREDICTED_TOPIC,
      fields: {},
      options: {
        rows: 15,
        initials: ['first_name', 'last_name'],
        // The seed's columns in the seed's order, with the prediction beside the gender it predicts: at a
        // laptop's width the table scrolls, and the prediction must not be what goes off to the right.
        columns: [
          { field: 'first_name', label: 'First name' },
          { field: 'gender', label: 'Gender' },
          { field: 'predicted_gender', label: 'Predicted' },
          { field: 'probability', label: 'Probability', format: 'percent' },
          { field: 'last_name', label: 'Last name' },
          { field: 'phone', label: 'Phone' },
          { field: 'address', label: 'Address' },
          { field: 'email', label: 'Email' },
          { field: 'post_code', label: 'Post code' },
          { field: 'registered_date', label: 'Registered', format: 'date' },
          { field: 'username', label: 'Username' },
        ],
        flag: { field: 'correct', equals: false, label: 'wrong prediction' },
      },
    },
    {
      id: 'accuracy',
      title: 'Prequential accuracy (predicted before learning) against the majority-class baseline',
      type: 'lines',
      topic: METRICS_TOPIC,
      fields: { x: 'seen' },
      options: {
        xLabel: 'Users learned',
        yLabel: 'Accuracy',
        min: 0,
        max: 1,
        format: 'percent',
        series: [
          { field: 'accuracy', label: 'Model (cumulative)', color: 'green' },
          { field: 'windowAccuracy', label: 'Model (recent window)', color: 'blue' },
          { field: 'baselineAccuracy', label: 'Majority baseline', color: 'grey' },
        ],
      },
    },
    {
      id: 'add',
      title: 'Add a user: it goes on users_created, and the live model predicts its gender',
      type: 'action-form',
      topic: PREDICTED_TOPIC,
      fields: {},
      options: {
        app: 'users',
        action: 'add',
        submit: 'Add user',
        inputs: [
          { name: 'first_name', label: 'First name', required: true },
          { name: 'last_name', label: 'Last name', required: true },
          { name: 'gender', label: 'Gender', choices: ['female', 'male'] },
          { name: 'email', label: 'Email' },
          { name: 'phone', label: 'Phone' },
          { name: 'address', label: 'Address' },
          { name: 'post_code', label: 'Post code' },
          { name: 'username', label: 'Username' },
        ],
        answer: [
          { field: 'prediction.predicted_gender', label: 'Predicted gender' },
          { field: 'prediction.probability', label: 'Probability', format: 'percent' },
          { field: 'prediction.seen', label: 'Users the model had learned from' },
          { field: 'user.id', label: 'Id' },
        ],
      },
    },
    {
      id: 'countries',
      title: 'Users by country',
      type: 'bar',
      topic: METRICS_TOPIC,
      fields: { y: 'countries' },
      options: { top: 21, xLabel: 'Country', yLabel: 'Users' },
    },
    {
      id: 'ages',
      // Age when the user was streamed (learner.ts ageAt), by decade: the bar at 20 holds ages 20 to 29.
      title: 'Age by decade (the bar at 20: ages 20 to 29)',
      type: 'histogram',
      topic: METRICS_TOPIC,
      fields: { y: 'ages' },
      options: { xLabel: 'Age (decade)', yLabel: 'Users' },
    },
  ];
}
