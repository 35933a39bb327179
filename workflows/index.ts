// The workflows the reservation worker registers (its bundle entry point).
export { reservationWorkflow } from './reservation';
export { waitlistWorkflow } from './waitlist';
