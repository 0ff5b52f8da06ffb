// Readiness: ready once every startup condition is met, and never again once draining starts.
export type ReadinessCondition = 'certificates' | 'templates';

export interface ReadinessStatus {
  readonly ready: boolean;
  /** Why not, in words an operator can act on. */
  readonly reasons: string[];
}

const WAITING: Record<ReadinessCondition, string> = {
  certificates: 'the serving certificate is not loaded yet',
  templates: 'templates are not loaded yet',
};

export class Readiness {
  private readonly unmet = new Map<ReadinessCondition, string>();
  private drainingSince: Date | undefined;

  constructor(conditions: readonly ReadinessCondition[] = ['certificates', 'templates']) {
    for (const condition of conditions) this.unmet.set(condition, WAITING[condition]);
  }

  met(condition: ReadinessCondition): void {
    this.unmet.delete(condition);
  }

  /** The condition is not met, and why (e.g. the first template load failed). */
  unmetBecause(condition: ReadinessCondition, reason: string): void {
    this.unmet.set(condition, reason);
  }

  isMet(condition: ReadinessCondition): boolean {
    return !this.unmet.has(condition);
  }

  startDraining(): void {
    this.drainingSince ??= new Date();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  status(): ReadinessStatus {
    const reasons = [...this.unmet.values()];
    if (this.drainingSince) reasons.push(`shutting down since ${this.drainingSince.toISOString()}`);
    return { ready: reasons.length === 0, reasons };
  }
}
