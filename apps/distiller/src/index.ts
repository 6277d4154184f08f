export { DistillerModule } from './distiller.module.js';
export { DistillService } from './distill.service.js';
