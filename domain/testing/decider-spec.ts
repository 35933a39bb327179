/**
 * Given/when/then for deciders, so a test reads like the rule it checks:
 *
 *   spec(reservationDecider).given([requested]).when({ type: 'AcceptReservation' }).then([accepted]);
 *   spec(reservationDecider).given([requested, rejected]).when(cancel).thenThrows('ALREADY_FINAL');
 *
 * `given` replays events through `evolve` (as the command handler does), `when` runs `decide`. `then`
 * also returns the state after the new events, for the occasional extra assertion.
 */
import type { Decider } from '../../eventstore/command-handler';
import type { DomainEvent } from '../../eventstore/types';
import { DomainError, type DomainErrorCode } from '../errors';

type ErrorClass = abstract new (...args: never[]) => Error;

export interface When<S, E> {
  /** Asserts the decided events (deep equality, order matters); returns the state after them. */
  then(expected: E[]): S;
  /** Asserts the command is refused: with a DomainError of this code, or an error of this class. */
  thenThrows(expected: DomainErrorCode | ErrorClass): void;
}

export interface Given<C, S, E> {
  /** The state the history leads to. */
  readonly state: S;
  when(command: C): When<S, E>;
}

export function spec<C, S, E extends DomainEvent>(decider: Decider<C, S, E>) {
  return {
    given(history: E[]): Given<C, S, E> {
      const state = history.reduce((s, e) => decider.evolve(s, e), decider.initialState());
      return {
        state,
        when(command: C): When<S, E> {
          return {
            then(expected) {
              const decided = decider.decide(command, state);
              expect(decided).toEqual(expected);
              return decided.reduce((s, e) => decider.evolve(s, e), state);
            },
            thenThrows(expected) {
              let thrown: unknown;
              let decided: E[] | undefined;
              try {
                decided = decider.decide(command, state);
              } catch (err) {
                thrown = err;
              }
              if (decided !== undefined) {
                throw new Error(`expected the command to be refused (${describe(expected)}), but it decided ${JSON.stringify(decided)}`);
              }
              if (typeof expected === 'string') {
                expect(thrown).toBeInstanceOf(DomainError);
                expect(thrown).toMatchObject({ code: expected });
              } else {
                expect(thrown).toBeInstanceOf(expected);
              }
            },
          };
        },
      };
    },
  };
}

function describe(expected: DomainErrorCode | ErrorClass): string {
  return typeof expected === 'string' ? expected : expected.name;
}
