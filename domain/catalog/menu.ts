/**
 * The menu's rules: section and dish names (unique ignoring case and surrounding spaces), prices, and how
 * many of each a menu may hold.
 */
import type { Dish, MenuSection, Price } from './events';
import { LIMITS, checkText, quote, type Issue } from './validation';

/** Section and dish names are matched ignoring case and surrounding spaces. */
export const nameKey = (name: string): string => name.trim().toLowerCase();

let currencies: Set<string> | undefined;
function isCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

function validatePrice(price: Price, field: string): Issue[] {
  if (typeof price !== 'object' || price === null) return [{ field, message: 'must be an object { amount, currency }' }];
  const issues: Issue[] = [];
  if (typeof price.amount !== 'number' || !Number.isFinite(price.amount) || price.amount < 0) {
    issues.push({ field: `${field}.amount`, message: `${String(price.amount)} is not a price; use a number of 0 or more` });
  }
  if (typeof price.currency !== 'string' || !isCurrency(price.currency)) {
    issues.push({ field: `${field}.currency`, message: `${quote(price.currency)} is not an ISO 4217 currency code; use three capital letters such as "EUR" or "USD"` });
  }
  return issues;
}

export function validateSectionName(name: string, field: string): Issue[] {
  const issues: Issue[] = [];
  checkText(issues, field, name, 1, LIMITS.sectionNameLength);
  return issues;
}

/** Checks the dish fields present (all of them when `requireAll`). */
export function validateDish(dish: Partial<Dish>, field: string, requireAll: boolean): Issue[] {
  const issues: Issue[] = [];
  if (requireAll && dish.name === undefined) issues.push({ field: `${field}.name`, message: 'is required' });
  if (requireAll && dish.price === undefined) issues.push({ field: `${field}.price`, message: 'is required' });
  if (dish.name !== undefined) checkText(issues, `${field}.name`, dish.name, 1, LIMITS.dishNameLength);
  if (dish.description !== undefined) checkText(issues, `${field}.description`, dish.description, 0, LIMITS.dishDescriptionLength);
  if (dish.price !== undefined) issues.push(...validatePrice(dish.price, `${field}.price`));
  return issues;
}

export interface DishInput {
  name: string;
  description?: string;
  price: Price;
}

export function normalizeDish(dish: DishInput): Dish {
  return { name: dish.name.trim(), description: (dish.description ?? '').trim(), price: { amount: dish.price.amount, currency: dish.price.currency } };
}

export interface MenuSectionInput {
  name: string;
  dishes?: DishInput[];
}

export function validateMenu(menu: MenuSectionInput[], field = 'menu'): Issue[] {
  if (!Array.isArray(menu)) return [{ field, message: 'must be a list of { name, dishes }' }];
  const issues: Issue[] = [];
  if (menu.length > LIMITS.menuSections) issues.push({ field, message: `has ${menu.length} sections; at most ${LIMITS.menuSections} are allowed` });
  const sections = new Map<string, number>();
  menu.forEach((section, s) => {
    const at = `${field}[${s}]`;
    const nameIssues = validateSectionName(section?.name, `${at}.name`);
    issues.push(...nameIssues);
    if (nameIssues.length === 0) {
      const first = sections.get(nameKey(section.name));
      if (first !== undefined) issues.push({ field: `${at}.name`, message: `${quote(section.name)} is already the name of ${field}[${first}]; section names must be unique` });
      else sections.set(nameKey(section.name), s);
    }
    const dishes = new Map<string, number>();
    const dishCount = section?.dishes?.length ?? 0;
    if (dishCount > LIMITS.dishesPerSection) issues.push({ field: `${at}.dishes`, message: `has ${dishCount} dishes; at most ${LIMITS.dishesPerSection} are allowed` });
    (section?.dishes ?? []).forEach((dish, d) => {
      const dat = `${at}.dishes[${d}]`;
      const dishIssues = validateDish(dish, dat, true);
      issues.push(...dishIssues);
      if (typeof dish?.name === 'string' && dish.name.trim() !== '') {
        const first = dishes.get(nameKey(dish.name));
        if (first !== undefined) issues.push({ field: `${dat}.name`, message: `${quote(dish.name)} is already on this section as dishes[${first}]; dish names must be unique within a section` });
        else dishes.set(nameKey(dish.name), d);
      }
    });
  });
  return issues;
}

export function findSection(menu: MenuSection[], name: string): MenuSection | undefined {
  return menu.find((s) => nameKey(s.name) === nameKey(name));
}

export function findDish(section: MenuSection, name: string): Dish | undefined {
  return section.dishes.find((d) => nameKey(d.name) === nameKey(name));
}
